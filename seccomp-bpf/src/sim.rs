//! An exact simulator of seccomp's classic BPF.
//!
//! It runs any program the kernel would accept ([`crate::check`]) the way the kernel
//! runs it: A and X start at 0, scratch memory at 0, `ld len` reads 64, a division
//! by `X == 0` returns 0 from the program (as the kernel's cBPF→eBPF conversion
//! does), and every path ends in `ret`.

use crate::Endian;
use crate::data::{SIZE, SeccompData};
use crate::insn::{SockFilter, op};

/// Why a program could not be run to a `ret`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimError {
    /// The program counter left the program (a jump out of range, or no `ret`).
    OutOfBounds {
        /// The instruction that jumped or fell off.
        pc: usize,
    },
    /// An instruction the kernel does not accept in a seccomp filter.
    BadInstruction {
        /// Where.
        pc: usize,
    },
}

impl core::fmt::Display for SimError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SimError::OutOfBounds { pc } => write!(f, "control leaves the program after pc {pc}"),
            SimError::BadInstruction { pc } => {
                write!(f, "instruction at pc {pc} is not accepted by seccomp")
            }
        }
    }
}

/// Runs `prog` on `data` and returns the filter's 32-bit result.
///
/// # Errors
///
/// A program the kernel would refuse may fail with [`SimError`].
pub fn simulate(prog: &[SockFilter], data: &SeccompData, endian: Endian) -> Result<u32, SimError> {
    simulate_counted(prog, data, endian).map(|(r, _)| r)
}

/// Like [`simulate`], and also counts the instructions executed (the `ret` included).
///
/// # Errors
///
/// A program the kernel would refuse may fail with [`SimError`].
pub fn simulate_counted(
    prog: &[SockFilter],
    data: &SeccompData,
    endian: Endian,
) -> Result<(u32, usize), SimError> {
    let mut a: u32 = 0;
    let mut x: u32 = 0;
    let mut mem = [0u32; 16];
    let mut pc = 0usize;
    let mut count = 0usize;
    loop {
        let Some(&SockFilter { code, jt, jf, k }) = prog.get(pc) else {
            return Err(SimError::OutOfBounds {
                pc: pc.saturating_sub(1),
            });
        };
        count += 1;
        let bad = SimError::BadInstruction { pc };
        let mut next = pc + 1;
        match op::class(code) {
            op::LD | op::LDX => {
                let v = match (op::mode(code), op::size(code)) {
                    (op::ABS, op::W) if op::class(code) == op::LD => {
                        data.word(k, endian).ok_or(bad)?
                    }
                    (op::LEN, op::W) => SIZE,
                    (op::IMM, _) => k,
                    (op::MEM, _) => *mem.get(k as usize).ok_or(bad)?,
                    _ => return Err(bad),
                };
                if op::class(code) == op::LD {
                    a = v;
                } else {
                    x = v;
                }
            }
            op::ST => *mem.get_mut(k as usize).ok_or(bad)? = a,
            op::STX => *mem.get_mut(k as usize).ok_or(bad)? = x,
            op::ALU => {
                let src = if op::src(code) == op::X { x } else { k };
                a = match op::operation(code) {
                    op::ADD => a.wrapping_add(src),
                    op::SUB => a.wrapping_sub(src),
                    op::MUL => a.wrapping_mul(src),
                    op::DIV => {
                        if src == 0 {
                            return Ok((0, count));
                        }
                        a / src
                    }
                    op::AND => a & src,
                    op::OR => a | src,
                    op::XOR => a ^ src,
                    // Classic BPF runs as eBPF (`bpf_convert_filter`), where a 32-bit
                    // shift by X is `(u32) A << (X & 31)` (kernel/bpf/core.c, `SHT`; the
                    // JITs agree). `seccomp_check_filter` bounds only a constant K < 32.
                    op::LSH => a.wrapping_shl(src),
                    op::RSH => a.wrapping_shr(src),
                    op::NEG => a.wrapping_neg(),
                    _ => return Err(bad),
                };
            }
            op::JMP => {
                let src = if op::src(code) == op::X { x } else { k };
                let offset = match op::operation(code) {
                    op::JA => k as usize,
                    op::JEQ => usize::from(if a == src { jt } else { jf }),
                    op::JGT => usize::from(if a > src { jt } else { jf }),
                    op::JGE => usize::from(if a >= src { jt } else { jf }),
                    op::JSET => usize::from(if a & src != 0 { jt } else { jf }),
                    _ => return Err(bad),
                };
                next = pc
                    .checked_add(1 + offset)
                    .ok_or(SimError::OutOfBounds { pc })?;
            }
            op::RET => {
                return match code {
                    op::RET_K => Ok((k, count)),
                    op::RET_A => Ok((a, count)),
                    _ => Err(bad),
                };
            }
            op::MISC => match code & 0xf8 {
                op::TAX => x = a,
                op::TXA => a = x,
                _ => return Err(bad),
            },
            _ => return Err(bad),
        }
        if next >= prog.len() {
            return Err(SimError::OutOfBounds { pc });
        }
        pc = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Half, arg_offset};
    use crate::ret;

    #[test]
    fn big_endian_loads_the_high_word_first() {
        let prog = [
            SockFilter::stmt(op::LD_W_ABS, arg_offset(0, Half::Hi, Endian::Big)),
            SockFilter::stmt(op::RET_A, 0),
        ];
        let d = SeccompData {
            args: [0x1122_3344_5566_7788, 0, 0, 0, 0, 0],
            ..SeccompData::default()
        };
        assert_eq!(simulate(&prog, &d, Endian::Big), Ok(0x1122_3344));
        assert_eq!(simulate(&prog, &d, Endian::Little), Ok(0x5566_7788));
    }

    #[test]
    fn division_by_zero_x_returns_zero() {
        let prog = [
            SockFilter::stmt(op::LD_IMM, 7),
            SockFilter::stmt(op::ALU | op::DIV | op::X, 0),
            SockFilter::stmt(op::RET_K, ret::ALLOW),
        ];
        assert_eq!(
            simulate_counted(&prog, &SeccompData::default(), Endian::Little),
            Ok((0, 2))
        );
    }

    #[test]
    fn shifts_by_x_use_its_low_five_bits_as_the_kernel_does() {
        for (x, lsh, rsh) in [
            (1, 0x0000_0002, 0x4000_0000),
            (33, 0x0000_0002, 0x4000_0000),
            (32, 0x8000_0001, 0x8000_0001),
            (0xffff_ffff, 0x8000_0000, 0x0000_0001),
        ] {
            for (operation, want) in [(op::LSH, lsh), (op::RSH, rsh)] {
                let prog = [
                    SockFilter::stmt(op::LD_IMM, 0x8000_0001),
                    SockFilter::stmt(op::LDX | op::W | op::IMM, x),
                    SockFilter::stmt(op::ALU | operation | op::X, 0),
                    SockFilter::stmt(op::RET_A, 0),
                ];
                let got = simulate(&prog, &SeccompData::default(), Endian::Little);
                assert_eq!(got, Ok(want), "op {operation:#x} by {x}");
            }
        }
    }

    #[test]
    fn falling_off_the_end_is_an_error() {
        let prog = [SockFilter::stmt(op::LD_IMM, 7)];
        assert!(simulate(&prog, &SeccompData::default(), Endian::Little).is_err());
        let prog = [
            SockFilter::jump(op::JEQ_K, 0, 5, 0),
            SockFilter::stmt(op::RET_K, 0),
        ];
        assert!(simulate(&prog, &SeccompData::default(), Endian::Little).is_err());
    }

    #[test]
    fn unaligned_or_outside_loads_are_refused() {
        for k in [2, 64, 0xffff_fffc] {
            let prog = [
                SockFilter::stmt(op::LD_W_ABS, k),
                SockFilter::stmt(op::RET_A, 0),
            ];
            assert!(simulate(&prog, &SeccompData::default(), Endian::Little).is_err());
        }
    }
}
