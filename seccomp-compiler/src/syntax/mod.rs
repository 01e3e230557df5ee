//! The policy language: tokens → [`ast::Policy`].
//!
//! The grammar is one set of `syn::parse::Parse` impls used by all three front
//! doors (`seccomp!`, `#[seccomp_rt::main]`, `seccompc`).

pub mod ast;
pub mod kw;
mod parse;

pub use parse::{parse, parse_str};
