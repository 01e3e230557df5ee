//! The final check of a compiled program against the kernel's rules.
//!
//! A program longer than 4096 instructions is the user's error (the policy is too
//! big) and says by how much. Anything else the kernel would refuse — an opcode
//! seccomp does not take, a load outside `seccomp_data`, a jump out of range, a path
//! without `ret` — can only be a compiler bug, reported as an internal error. Symbolic
//! constants are checked with a stand-in value: no rule depends on `k` of a jump.

use proc_macro2::Span;
use seccomp_bpf::{CheckError, MAX_INSNS, SockFilter, check};

use crate::diag::Diagnostic;
use crate::ir::Operand;
use crate::program::Instr;

/// Checks `instrs`; `span` is the whole policy.
///
/// # Errors
///
/// The size error, or an internal error.
pub fn validate(instrs: &[Instr], span: Span) -> Result<(), Diagnostic> {
    if instrs.len() > MAX_INSNS {
        let over = instrs.len() - MAX_INSNS;
        return Err(Diagnostic::error(
            span,
            format!("policy compiles to {} instructions; the kernel accepts at most {MAX_INSNS} ({over} over)", instrs.len()),
        )
        .with_help("merge argument checks into `in [...]` lists or ranges, or split the policy into a filter installed now and a stricter one installed later"));
    }
    let concrete: Vec<SockFilter> = instrs
        .iter()
        .map(|i| SockFilter {
            code: i.code,
            jt: i.jt,
            jf: i.jf,
            k: if let Operand::Imm(k) = i.k { k } else { 0 },
        })
        .collect();
    match check(&concrete) {
        Ok(()) => Ok(()),
        Err(CheckError::Length(_)) if instrs.is_empty() => {
            Err(Diagnostic::internal(span, "empty program"))
        }
        Err(e) => Err(Diagnostic::internal(
            span,
            format_args!("the kernel would refuse the program: {e}"),
        )),
    }
}
