//! An exact emulation of the kernel's seccomp action cache (Linux 5.11+).
//!
//! When a filter is attached, the kernel runs `seccomp_is_const_allow()` for every
//! syscall number of every ABI the kernel supports, with only `nr` and `arch`
//! known. A syscall whose path reaches `ret ALLOW` touching nothing else is then
//! allowed without running the filter at all. Any load of another field, any
//! instruction other than `ld [nr|arch]`, `ja`, `jeq/jge/jgt/jset #k`,
//! `and #k` and `ret #k` makes the number uncacheable.

use crate::data::{ARCH, NR};
use crate::insn::{SockFilter, op};
use crate::ret;

/// Whether the kernel caches `nr` of `arch` as always allowed for this program.
///
/// ```
/// use seccomp_bpf::{SockFilter, op, ret, cache::is_const_allow};
/// let prog = [
///     SockFilter::stmt(op::LD_W_ABS, 0),
///     SockFilter::jump(op::JEQ_K, 1, 0, 1),
///     SockFilter::stmt(op::RET_K, ret::ALLOW),
///     SockFilter::stmt(op::LD_W_ABS, 16),
///     SockFilter::stmt(op::RET_K, ret::ALLOW),
/// ];
/// assert!(is_const_allow(&prog, 0xc000_003e, 1));
/// assert!(!is_const_allow(&prog, 0xc000_003e, 2));
/// ```
#[must_use]
pub fn is_const_allow(prog: &[SockFilter], arch: u32, nr: u32) -> bool {
    let mut reg: u32 = 0;
    let mut pc: usize = 0;
    while let Some(insn) = prog.get(pc) {
        let k = insn.k;
        match insn.code {
            op::LD_W_ABS => match k {
                NR => reg = nr,
                ARCH => reg = arch,
                _ => return false,
            },
            op::RET_K => return k == ret::ALLOW,
            op::JA_K => pc = pc.wrapping_add(k as usize),
            op::JEQ_K | op::JGE_K | op::JGT_K | op::JSET_K => {
                let taken = match op::operation(insn.code) {
                    op::JEQ => reg == k,
                    op::JGE => reg >= k,
                    op::JGT => reg > k,
                    _ => reg & k != 0,
                };
                pc += usize::from(if taken { insn.jt } else { insn.jf });
            }
            op::ALU_AND_K => reg &= k,
            _ => return false,
        }
        pc = pc.wrapping_add(1);
    }
    false
}
