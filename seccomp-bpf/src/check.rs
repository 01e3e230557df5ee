//! The kernel's acceptance rules for a seccomp filter.
//!
//! [`check`] accepts exactly the programs `seccomp(SECCOMP_SET_MODE_FILTER)` accepts
//! (`bpf_check_classic` then `seccomp_check_filter`):
//!
//! - `1 ≤ len ≤ 4096`;
//! - only the opcodes seccomp allows: `ld`/`ldx` of a word of `seccomp_data`
//!   (absolute, 4-byte aligned, below 64), of `len`, of an immediate or of scratch
//!   memory; `st`/`stx`; the ALU operations except `mod`; `tax`/`txa`; `ja`;
//!   `jeq/jgt/jge/jset` on `k` or `x`; `ret k`/`ret a`;
//! - no division by a constant 0, no shift by 32 or more, scratch cells below 16;
//! - every jump lands inside the program;
//! - the last instruction is a `ret`;
//! - no scratch cell is read on a path where it may not have been written.

use crate::MAX_INSNS;
use crate::data::SIZE;
use crate::insn::{SockFilter, op};

/// Why the kernel would refuse a program (it answers `EINVAL` to all of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckError {
    /// The program is empty or longer than 4096 instructions.
    Length(usize),
    /// An opcode seccomp does not accept.
    Opcode {
        /// Where.
        pc: usize,
        /// The opcode.
        code: u16,
    },
    /// A load outside `seccomp_data` or not 4-byte aligned.
    Load {
        /// Where.
        pc: usize,
        /// The offset.
        offset: u32,
    },
    /// A constant division by 0, a shift by 32 or more, or a scratch index past 15.
    Operand {
        /// Where.
        pc: usize,
    },
    /// A jump past the end of the program.
    JumpOutOfRange {
        /// Where.
        pc: usize,
    },
    /// The last instruction is not a `ret`.
    NoFinalReturn,
    /// A scratch cell read before it is written on some path.
    UninitializedScratch {
        /// Where.
        pc: usize,
    },
}

impl core::fmt::Display for CheckError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            CheckError::Length(n) => write!(
                f,
                "program has {n} instructions; the kernel accepts 1 to {MAX_INSNS}"
            ),
            CheckError::Opcode { pc, code } => {
                write!(f, "pc {pc}: opcode {code:#06x} is not accepted by seccomp")
            }
            CheckError::Load { pc, offset } => write!(
                f,
                "pc {pc}: load of offset {offset} is outside seccomp_data or unaligned"
            ),
            CheckError::Operand { pc } => write!(f, "pc {pc}: operand out of range"),
            CheckError::JumpOutOfRange { pc } => {
                write!(f, "pc {pc}: jump target is past the end of the program")
            }
            CheckError::NoFinalReturn => f.write_str("the last instruction is not a return"),
            CheckError::UninitializedScratch { pc } => {
                write!(f, "pc {pc}: scratch memory read before it is written")
            }
        }
    }
}

const fn allowed(code: u16) -> bool {
    use op::*;
    matches!(
        code,
        LD_W_ABS
            | 0x80 // ld len
            | 0x81 // ldx len
            | RET_K
            | RET_A
            | LD_IMM
            | 0x01 // ldx #k
            | 0x60 // ld M[k]
            | 0x61 // ldx M[k]
            | ST
            | STX
            | 0x07 // tax
            | 0x87 // txa
            | JA_K
            | 0x84 // neg
    ) || (code >> 8 == 0
        && class(code) == ALU
        && matches!(
            operation(code),
            ADD | SUB | MUL | DIV | AND | OR | XOR | LSH | RSH
        ))
        || (code >> 8 == 0
            && class(code) == JMP
            && matches!(operation(code), JEQ | JGT | JGE | JSET))
}

const fn is_cond_jump(code: u16) -> bool {
    op::class(code) == op::JMP && op::operation(code) != op::JA
}

/// Checks `prog` against the kernel's rules.
///
/// A `const fn`: a program in a `static` can be checked while compiling
/// (`Filter::from_static` of `seccomp-rt` does).
///
/// ```
/// use seccomp_bpf::{check, CheckError, SockFilter, op, ret};
/// assert_eq!(check(&[SockFilter::stmt(op::RET_K, ret::ALLOW)]), Ok(()));
/// assert_eq!(check(&[SockFilter::stmt(op::LD_W_ABS, 2), SockFilter::stmt(op::RET_A, 0)]),
///            Err(CheckError::Load { pc: 0, offset: 2 }));
/// const OK: () = assert!(check(&[SockFilter::stmt(op::RET_K, ret::ALLOW)]).is_ok());
/// ```
///
/// # Errors
///
/// The first rule the program breaks.
pub const fn check(prog: &[SockFilter]) -> Result<(), CheckError> {
    let len = prog.len();
    if len == 0 || len > MAX_INSNS {
        return Err(CheckError::Length(len));
    }
    let mut pc = 0;
    while pc < len {
        let insn = prog[pc];
        let code = insn.code;
        if !allowed(code) {
            return Err(CheckError::Opcode { pc, code });
        }
        let k = insn.k;
        let bad_operand = match code {
            0x34 => k == 0,                            // div #0
            0x64 | 0x74 => k >= 32,                    // lsh/rsh
            0x60 | 0x61 | op::ST | op::STX => k >= 16, // scratch
            _ => false,
        };
        if bad_operand {
            return Err(CheckError::Operand { pc });
        }
        if code == op::LD_W_ABS && (k >= SIZE || !k.is_multiple_of(4)) {
            return Err(CheckError::Load { pc, offset: k });
        }
        let remaining = len - pc - 1;
        let in_range = if code == op::JA_K {
            (k as usize) < remaining
        } else if is_cond_jump(code) {
            (insn.jt as usize) < remaining && (insn.jf as usize) < remaining
        } else {
            true
        };
        if !in_range {
            return Err(CheckError::JumpOutOfRange { pc });
        }
        pc += 1;
    }
    if op::class(prog[len - 1].code) != op::RET {
        return Err(CheckError::NoFinalReturn);
    }
    check_scratch(prog)
}

// net/core/filter.c check_load_and_stores(): one forward pass, each jump target
// keeps the cells valid on every edge into it.
const fn check_scratch(prog: &[SockFilter]) -> Result<(), CheckError> {
    let mut pc = 0;
    while pc < prog.len() && !matches!(prog[pc].code, 0x60 | 0x61) {
        pc += 1;
    }
    if pc == prog.len() {
        return Ok(());
    }
    let mut masks = [0xffffu16; MAX_INSNS];
    let mut valid: u16 = 0;
    pc = 0;
    while pc < prog.len() {
        let insn = prog[pc];
        valid &= masks[pc];
        match insn.code {
            op::ST | op::STX => valid |= 1 << insn.k,
            0x60 | 0x61 if valid & (1 << insn.k) == 0 => {
                return Err(CheckError::UninitializedScratch { pc });
            }
            op::JA_K => {
                masks[pc + 1 + insn.k as usize] &= valid;
                valid = 0xffff;
            }
            c if is_cond_jump(c) => {
                masks[pc + 1 + insn.jt as usize] &= valid;
                masks[pc + 1 + insn.jf as usize] &= valid;
                valid = 0xffff;
            }
            _ => {}
        }
        pc += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ret;

    fn ret_allow() -> SockFilter {
        SockFilter::stmt(op::RET_K, ret::ALLOW)
    }

    #[test]
    fn length_limits_on_both_sides() {
        assert_eq!(check(&[]), Err(CheckError::Length(0)));
        let ok = [ret_allow(); MAX_INSNS];
        assert_eq!(check(&ok), Ok(()));
        let too_long = [ret_allow(); MAX_INSNS + 1];
        assert_eq!(check(&too_long), Err(CheckError::Length(MAX_INSNS + 1)));
    }

    #[test]
    fn jumps_must_land_inside() {
        let p = [SockFilter::jump(op::JEQ_K, 0, 1, 0), ret_allow()];
        assert_eq!(check(&p), Err(CheckError::JumpOutOfRange { pc: 0 }));
        let p = [SockFilter::jump(op::JEQ_K, 0, 0, 0), ret_allow()];
        assert_eq!(check(&p), Ok(()));
        let p = [SockFilter::stmt(op::JA_K, 1), ret_allow()];
        assert_eq!(check(&p), Err(CheckError::JumpOutOfRange { pc: 0 }));
    }

    #[test]
    fn opcodes_outside_seccomp_are_refused() {
        for code in [
            0x28, /* ld h abs */
            0x30, /* ld b abs */
            0x94, /* mod k */
            0x40, /* ld ind */
            0xb1, /* ldx msh */
        ] {
            let p = [SockFilter::stmt(code, 0), ret_allow()];
            assert_eq!(
                check(&p),
                Err(CheckError::Opcode { pc: 0, code }),
                "{code:#x}"
            );
        }
        for code in [
            0x04, 0x0c, 0x54, 0xa4, 0x84, 0x15, 0x1d, 0x45, 0x4d, 0x07, 0x87,
        ] {
            let p = [SockFilter::stmt(code, 1), ret_allow()];
            assert_eq!(check(&p), Ok(()), "{code:#x}");
        }
    }

    #[test]
    fn loads_must_be_aligned_and_inside() {
        for k in [1, 62, 64, 1000] {
            let p = [SockFilter::stmt(op::LD_W_ABS, k), ret_allow()];
            assert!(check(&p).is_err(), "{k}");
        }
        let p = [SockFilter::stmt(op::LD_W_ABS, 60), ret_allow()];
        assert_eq!(check(&p), Ok(()));
    }

    #[test]
    fn last_must_return() {
        let p = [ret_allow(), SockFilter::stmt(op::LD_IMM, 0)];
        assert_eq!(check(&p), Err(CheckError::NoFinalReturn));
    }

    #[test]
    fn scratch_must_be_written_first() {
        let p = [SockFilter::stmt(0x60, 3), ret_allow()];
        assert_eq!(check(&p), Err(CheckError::UninitializedScratch { pc: 0 }));
        let p = [
            SockFilter::stmt(op::ST, 3),
            SockFilter::stmt(0x60, 3),
            ret_allow(),
        ];
        assert_eq!(check(&p), Ok(()));
    }
}
