//! The seccomp policy compiler: policy text → a checked classic-BPF program.
//!
//! A one-way pipeline; each stage imports only earlier ones:
//!
//! | stage | verb | produces |
//! |---|---|---|
//! | syntax | [`syntax::parse`] | [`syntax::ast::Policy`]: spans, no meaning |
//! | names → numbers for one ABI | [`resolve::resolve`] | [`resolved::Policy`] |
//! | decisions | [`lower::lower`] | [`ir::Program`]: a shared DAG + dispatch |
//! | decided tests removed | [`prune::prune`] | [`ir::Program`], no test its path decides |
//! | long `==` chains searched | [`lists::search`] | [`ir::Program`] |
//! | code | [`codegen::emit`] | [`asm::Insn`]s with labels |
//! | layout | [`asm::assemble`] | [`program::Instr`]s with offsets |
//! | check | [`validate::validate`] | the kernel's rules, at compile time |
//!
//! This crate is the engine behind `seccomp-rt`'s macros and the `seccompc` tool;
//! its API is not stable. Use `seccomp-rt`.
//!
//! ```
//! use seccomp_compiler::{compile_str, Arch};
//! let prog = compile_str("read: fd == 0; write: fd == 1; exit_group; default => kill;", Arch::X86_64)
//!     .map_err(|e| e[0].message.clone())?;
//! assert!(prog.len() < 20);
//! # Ok::<(), String>(())
//! ```
#![forbid(unsafe_code)]

pub mod aliases;
pub mod arch;
pub mod asm;
pub mod codegen;
pub mod diag;
mod flags;
pub mod generated;
pub mod groups;
pub mod interp;
pub mod ir;
pub mod lints;
pub mod lists;
pub mod lower;
pub mod program;
pub mod prune;
pub mod resolve;
pub mod resolved;
pub mod stats;
pub mod suggest;
pub mod syntax;
pub mod tables;
pub mod validate;

pub use arch::Arch;
pub use diag::Diagnostic;
pub use program::{Instr, Program};

/// Compiles a parsed policy for one ABI.
///
/// # Errors
///
/// Every error of the first stage that has any, each with its span.
pub fn compile(ast: &syntax::ast::Policy, arch: Arch) -> Result<Program, Vec<Diagnostic>> {
    let policy = resolve::resolve(ast, arch)?;
    compile_resolved(&policy)
}

/// Resolves, runs the [`lints`] (a lint the policy does not accept with `allow:`
/// is an error) and compiles: what the `seccomp!` macro and `seccompc` do.
///
/// # Errors
///
/// As [`compile`], and every lint the policy does not accept.
pub fn compile_linted(ast: &syntax::ast::Policy, arch: Arch) -> Result<Program, Vec<Diagnostic>> {
    let policy = resolve::resolve(ast, arch)?;
    let lints = lints::check(ast, &policy);
    if !lints.is_empty() {
        return Err(lints);
    }
    compile_resolved(&policy)
}

/// Compiles an already resolved policy.
///
/// # Errors
///
/// The program is too large, or (a compiler bug) the kernel would refuse it.
pub fn compile_resolved(policy: &resolved::Policy) -> Result<Program, Vec<Diagnostic>> {
    let arch = policy.abis[0].arch;
    let ir = prune::prune(&lower::lower(policy));
    let layout = |ir: &ir::Program| {
        asm::assemble(&codegen::emit(ir, arch.endian()))
            .map_err(|e| vec![Diagnostic::internal(policy.span, e)])
    };
    let mut instrs = layout(&lists::search(&ir))?;
    if instrs.len() > seccomp_bpf::MAX_INSNS {
        // The searches cost a `jge` per bucket; the chains may still fit.
        instrs = layout(&ir)?;
    }
    validate::validate(&instrs, policy.span).map_err(|d| vec![d])?;
    Ok(Program {
        arch,
        instrs,
        symbols: policy.symbols.clone(),
        params: policy.params.clone(),
    })
}

/// Parses and compiles policy text for one ABI.
///
/// # Errors
///
/// Every error of the first stage that has any, each with its span.
pub fn compile_str(src: &str, arch: Arch) -> Result<Program, Vec<Diagnostic>> {
    compile(&syntax::parse_str(src)?, arch)
}
