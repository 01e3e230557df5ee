//! The types of the generated per-ABI tables (`generated/`).
//!
//! Everything here is plain `'static` data, sorted for binary search; nothing is
//! built at run time. The data itself is written by `cargo xtask gen-tables` from
//! the kernel's syscall tables and `include/linux/syscalls.h`.

/// How the kernel reads one syscall parameter on one ABI.
///
/// The width is what the kernel *consumes*, which is what a filter must compare:
/// comparing more bits lets garbage in unused register bits decide, comparing fewer
/// lets a different value through. It is the width the syscall body uses, not always
/// the declared one: a parameter declared `long` that the kernel narrows to 32 bits
/// (`clone_flags`, `writev`'s `fd`, …) has the 32-bit class, by the audit in
/// `xtask/data/effective-widths.tsv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamClass {
    /// `int`, `pid_t`, … : the low 32 bits, signed.
    Int32,
    /// `unsigned int`, `uid_t`, `u32`, … : the low 32 bits, unsigned.
    Uint32,
    /// `umode_t`, `old_uid_t`: the low 16 bits, unsigned.
    Uint16,
    /// `long`, `off_t` used at full width: the whole register (32 or 64 bits), signed.
    Long,
    /// `unsigned long`, `size_t` used at full width: the whole register, unsigned.
    Ulong,
    /// A user pointer: the whole register, unsigned (seccomp cannot dereference it).
    Pointer,
    /// `loff_t` on an ABI with 64-bit registers: all 64 bits, signed.
    Int64,
    /// `u64` on an ABI with 64-bit registers: all 64 bits, unsigned.
    Uint64,
    /// A 64-bit value that this 32-bit ABI passes in two registers (with ABI-specific
    /// padding): it has no single `args[]` slot, so it cannot be named.
    Split64,
    /// A parameter after a [`ParamClass::Split64`] one: its `args[]` slot depends on the
    /// ABI's padding rules, so it cannot be named either.
    AfterSplit64,
}

/// One parameter of a syscall on one ABI, in `seccomp_data.args[]` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    /// The kernel's own name of the parameter (`include/linux/syscalls.h`).
    pub name: &'static str,
    /// How the kernel reads it (the width its syscall body uses).
    pub class: ParamClass,
}

/// One syscall of one ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Syscall {
    /// The name in the kernel's `.tbl` file (and libseccomp's).
    pub name: &'static str,
    /// The number exactly as `seccomp_data.nr` sees it (mips and x32 offsets included).
    pub nr: u32,
    /// The parameters, in `args[]` order, of the function the ABI's entry point really
    /// is (a wrapper resolved to what it wraps, `xtask/data/entry-points.tsv`); `None`
    /// for the few entry points whose prototype is not known (each listed, with the
    /// reason, in `tests/param_names.rs`).
    pub params: Option<&'static [Param]>,
}

/// The errno numbering an ABI uses (`asm/errno.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrnoSet {
    /// `asm-generic/errno.h` (x86, arm, arm64, riscv, loongarch, s390, m68k, sh, …).
    Generic,
    /// `arch/mips/include/uapi/asm/errno.h`.
    Mips,
    /// `arch/parisc/include/uapi/asm/errno.h`.
    Parisc,
    /// `arch/powerpc/include/uapi/asm/errno.h`.
    Powerpc,
}

/// Everything the compiler knows about one syscall ABI.
#[derive(Debug)]
pub struct AbiTable {
    /// libseccomp's name of the ABI (`x86_64`, `mipsel64n32`, …).
    pub name: &'static str,
    /// The `AUDIT_ARCH_*` value the kernel reports in `seccomp_data.arch`.
    pub audit_arch: u32,
    /// Whether `seccomp_data` (and so each 64-bit argument) is big-endian.
    pub big_endian: bool,
    /// Width of the argument registers as the kernel reads them (64 on x32 and n32).
    pub reg_bits: u8,
    /// Width of a user-space pointer (32 on x32 and n32).
    pub pointer_bits: u8,
    /// Whether 64-bit arguments take two registers on this ABI.
    pub split64: bool,
    /// The errno numbering.
    pub errno: ErrnoSet,
    /// Every syscall of the ABI, sorted by name.
    pub syscalls: &'static [Syscall],
    /// The same syscalls' indices into `syscalls`, sorted by number.
    pub by_nr: &'static [u16],
}

/// One errno name of one numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno {
    /// `EPERM`, …
    pub name: &'static str,
    /// Its value on this numbering.
    pub value: u16,
}

/// A flag parameter whose unknown bits the kernel ignores on one ABI
/// (`xtask/data/unknown-bits.tsv`): a comparison of it that such bits can make
/// false must mask it (see the language docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownBits {
    /// libseccomp's name of the ABI.
    pub abi: &'static str,
    /// The syscall.
    pub syscall: &'static str,
    /// The parameter.
    pub param: &'static str,
    /// The bits the kernel acts on, as uapi constant names.
    pub known: &'static [&'static str],
    /// The same bits as a number, on this ABI.
    pub known_value: u64,
}
