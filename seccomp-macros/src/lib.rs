//! The procedural macros of `seccomp-rt`. Use them through `seccomp-rt`, which
//! re-exports them and provides the types they expand to.
//!
//! This crate only turns tokens into calls of `seccomp-compiler` and results into
//! tokens; the language and every error live in the compiler.
#![forbid(unsafe_code)]

mod expand;

use proc_macro::TokenStream;

/// A seccomp filter as a constant expression of type `seccomp_rt::Filter`.
///
/// See the `seccomp-rt` documentation for the language.
#[proc_macro]
pub fn seccomp(input: TokenStream) -> TokenStream {
    expand::filter(input.into()).into()
}

/// The target ABI's syscall table, `&'static [(u32, &'static str)]` sorted by
/// number, for reports (see `seccomp_rt::sigsys`).
#[proc_macro]
pub fn syscall_names(input: TokenStream) -> TokenStream {
    expand::syscall_names(input.into()).into()
}

/// Installs a policy before the first line of the function runs.
///
/// See `seccomp_rt::main`.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::main(args.into(), item.into()).into()
}
