//! The layout of `struct seccomp_data`, the input of every seccomp filter.
//!
//! ```text
//! struct seccomp_data {
//!     int   nr;                   // offset 0
//!     __u32 arch;                 // offset 4
//!     __u64 instruction_pointer;  // offset 8
//!     __u64 args[6];              // offset 16 + 8 * i
//! };
//! ```
//!
//! A filter reads it in 32-bit words in the machine's byte order, so which half
//! of a 64-bit field sits at the lower offset depends on the ABI's endianness.

/// Offset of `nr`.
pub const NR: u32 = 0;
/// Offset of `arch`.
pub const ARCH: u32 = 4;
/// Offset of `instruction_pointer`.
pub const IP: u32 = 8;
/// Offset of `args[0]`.
pub const ARGS: u32 = 16;
/// `sizeof(struct seccomp_data)`.
pub const SIZE: u32 = 64;

/// Byte order of `seccomp_data` on an ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endian {
    /// Little-endian: the low word of a 64-bit field comes first.
    Little,
    /// Big-endian: the high word comes first.
    Big,
}

impl Endian {
    /// The byte order of the machine this code was compiled for.
    pub const NATIVE: Endian = if cfg!(target_endian = "big") {
        Endian::Big
    } else {
        Endian::Little
    };
}

/// Which half of a 64-bit field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Half {
    /// Bits 0–31.
    Lo,
    /// Bits 32–63.
    Hi,
}

/// The offset of one 32-bit half of `args[index]` (`index < 6`).
///
/// ```
/// use seccomp_bpf::data::{arg_offset, Half};
/// use seccomp_bpf::Endian;
/// assert_eq!(arg_offset(0, Half::Lo, Endian::Little), 16);
/// assert_eq!(arg_offset(0, Half::Lo, Endian::Big), 20);
/// assert_eq!(arg_offset(5, Half::Hi, Endian::Little), 60);
/// ```
#[must_use]
pub const fn arg_offset(index: u8, half: Half, endian: Endian) -> u32 {
    let base = ARGS + 8 * index as u32;
    match (half, endian) {
        (Half::Lo, Endian::Little) | (Half::Hi, Endian::Big) => base,
        (Half::Hi, Endian::Little) | (Half::Lo, Endian::Big) => base + 4,
    }
}

/// What a load at `offset` reads: a field of `seccomp_data`, for disassembly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// `nr`
    Nr,
    /// `arch`
    Arch,
    /// Half of `instruction_pointer`.
    Ip(Half),
    /// Half of `args[i]`.
    Arg(u8, Half),
}

impl Field {
    /// The field at a 4-byte aligned offset below [`SIZE`].
    #[must_use]
    pub const fn at(offset: u32, endian: Endian) -> Option<Field> {
        if offset >= SIZE || !offset.is_multiple_of(4) {
            return None;
        }
        let first = offset.is_multiple_of(8);
        let half = match (first, endian) {
            (true, Endian::Little) | (false, Endian::Big) => Half::Lo,
            _ => Half::Hi,
        };
        Some(match offset {
            NR => Field::Nr,
            ARCH => Field::Arch,
            8 | 12 => Field::Ip(half),
            _ => Field::Arg(((offset - ARGS) / 8) as u8, half),
        })
    }
}

/// The input of a seccomp filter, laid out as the kernel's `struct seccomp_data`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SeccompData {
    /// The syscall number (x32 numbers carry bit 30).
    pub nr: i32,
    /// The `AUDIT_ARCH_*` value of the calling task's ABI.
    pub arch: u32,
    /// The address of the syscall instruction.
    pub instruction_pointer: u64,
    /// The six argument registers. On 32-bit ABIs the kernel fills the high words
    /// as it happens to hold the values: zero on 32-bit kernels and for i386 tasks
    /// on x86_64 (`entry_64_compat.S` zero-extends), but the sign extension of the
    /// low word for o32 tasks on a 64-bit mips kernel (their registers hold
    /// sign-extended values, and arguments 5 and 6 are read from the user stack as
    /// `int`s: `mips_get_syscall_arg`, arch/mips/include/asm/syscall.h). Only the
    /// low words of a 32-bit ABI's arguments mean anything.
    pub args: [u64; 6],
}

impl SeccompData {
    /// The 32-bit word a `ld [offset]` reads, in the given byte order; `None` for an
    /// offset the kernel would refuse (unaligned, or past the structure).
    #[must_use]
    pub fn word(&self, offset: u32, endian: Endian) -> Option<u32> {
        let split = |v: u64, half: Half| match half {
            Half::Lo => v as u32,
            Half::Hi => (v >> 32) as u32,
        };
        Some(match Field::at(offset, endian)? {
            Field::Nr => self.nr as u32,
            Field::Arch => self.arch,
            Field::Ip(h) => split(self.instruction_pointer, h),
            Field::Arg(i, h) => split(self.args[usize::from(i)], h),
        })
    }
}
