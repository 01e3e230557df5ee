//! The compiled program: instructions whose constants may still be symbolic.

use seccomp_bpf::{Endian, SockFilter};

use crate::Arch;
pub use crate::ir::Operand;
pub use crate::resolved::{Param, Symbol};

/// One instruction of the final program. `k` is symbolic only where the policy
/// names a Rust constant, which rustc evaluates in the macro's expansion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instr {
    /// The opcode.
    pub code: u16,
    /// Jump offset when true.
    pub jt: u8,
    /// Jump offset when false.
    pub jf: u8,
    /// The constant.
    pub k: Operand,
}

/// A compiled filter for one ABI.
#[derive(Clone, Debug)]
pub struct Program {
    /// The ABI it is compiled for.
    pub arch: Arch,
    /// The instructions.
    pub instrs: Vec<Instr>,
    /// The Rust constants the instructions refer to.
    pub symbols: Vec<Symbol>,
    /// The runtime parameters the instructions refer to.
    pub params: Vec<Param>,
}

impl Program {
    /// The program as kernel instructions; `None` if it refers to Rust constants or
    /// runtime parameters.
    #[must_use]
    pub fn to_sock_filters(&self) -> Option<Vec<SockFilter>> {
        self.instrs
            .iter()
            .map(|i| match i.k {
                Operand::Imm(k) => Some(SockFilter {
                    code: i.code,
                    jt: i.jt,
                    jf: i.jf,
                    k,
                }),
                Operand::Sym { .. } | Operand::Param { .. } => None,
            })
            .collect()
    }

    /// The byte order of the target's `seccomp_data`.
    #[must_use]
    pub fn endian(&self) -> Endian {
        self.arch.endian()
    }

    /// The number of instructions.
    #[must_use]
    pub fn len(&self) -> usize {
        self.instrs.len()
    }

    /// Whether the program is empty (a compiled program never is).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.instrs.is_empty()
    }
}
