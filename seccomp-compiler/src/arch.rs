//! The syscall ABIs a filter can be compiled for.
//!
//! The target is data, never host `cfg`: every ABI can be compiled for from any host.

use crate::generated::abis;
use crate::tables::{AbiTable, Errno, Syscall};

macro_rules! arches {
    ($($variant:ident => $name:literal, $table:path;)*) => {
        /// A Linux syscall ABI, named as libseccomp names it.
        ///
        /// ```
        /// use seccomp_compiler::Arch;
        /// let arch = Arch::from_name("x86_64").unwrap();
        /// assert_eq!(arch.as_str(), "x86_64");
        /// assert_eq!(arch.audit_arch(), 0xc000_003e);
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[allow(non_camel_case_types)]
        pub enum Arch {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl Arch {
            /// Every ABI, in a fixed order.
            pub const ALL: &'static [Arch] = &[$(Arch::$variant),*];

            /// libseccomp's name of the ABI.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Arch::$variant => $name,)*
                }
            }

            /// The generated table of the ABI.
            #[must_use]
            pub fn table(self) -> &'static AbiTable {
                match self {
                    $(Arch::$variant => &$table,)*
                }
            }
        }
    };
}

arches! {
    X86_64 => "x86_64", abis::X86_64;
    X86 => "x86", abis::X86;
    X32 => "x32", abis::X32;
    Aarch64 => "aarch64", abis::AARCH64;
    Arm => "arm", abis::ARM;
    Riscv64 => "riscv64", abis::RISCV64;
    Ppc64le => "ppc64le", abis::PPC64LE;
    Ppc64 => "ppc64", abis::PPC64;
    Ppc => "ppc", abis::PPC;
    S390x => "s390x", abis::S390X;
    S390 => "s390", abis::S390;
    Mips => "mips", abis::MIPS;
    Mipsel => "mipsel", abis::MIPSEL;
    Mips64 => "mips64", abis::MIPS64;
    Mipsel64 => "mipsel64", abis::MIPSEL64;
    Mips64n32 => "mips64n32", abis::MIPS64N32;
    Mipsel64n32 => "mipsel64n32", abis::MIPSEL64N32;
    Loongarch64 => "loongarch64", abis::LOONGARCH64;
    Parisc => "parisc", abis::PARISC;
    Parisc64 => "parisc64", abis::PARISC64;
    M68k => "m68k", abis::M68K;
    Sh => "sh", abis::SH;
    Sheb => "sheb", abis::SHEB;
}

/// The bit that marks an x32 syscall number on an x86-64 kernel (`__X32_SYSCALL_BIT`).
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

impl Arch {
    /// Looks an ABI up by libseccomp's name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Arch> {
        Arch::ALL.iter().copied().find(|a| a.as_str() == name)
    }

    /// The ABI's description shared by the compiler, the macro, the runtime and the
    /// CLI: its Rust `cfg`, `AUDIT_ARCH`, byte order, widths and number range.
    ///
    /// ```
    /// use seccomp_compiler::Arch;
    /// let info = Arch::Mips64.info();
    /// assert_eq!(info.name, "mips64");
    /// assert!(info.owns(5038) && !info.owns(4020));
    /// assert_eq!(Arch::Parisc.info().cfg, None); // no Rust target runs parisc
    /// ```
    #[must_use]
    pub fn info(self) -> &'static seccomp_bpf::arch::ArchInfo {
        // `ARCHES` is generated in the order of `Arch::ALL` (tested below).
        &seccomp_bpf::arch::ARCHES[self as usize]
    }

    /// The ABI the code is compiled for (`seccomp_bpf::arch::NATIVE`), if any.
    ///
    /// ```
    /// # #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
    /// assert_eq!(seccomp_compiler::Arch::native(), Some(seccomp_compiler::Arch::X86_64));
    /// ```
    #[must_use]
    pub fn native() -> Option<Arch> {
        seccomp_bpf::arch::NATIVE.and_then(|a| Arch::from_name(a.name))
    }

    /// The `AUDIT_ARCH_*` value the kernel puts in `seccomp_data.arch`.
    #[must_use]
    pub fn audit_arch(self) -> u32 {
        self.table().audit_arch
    }

    /// Whether `seccomp_data` is big-endian on this ABI.
    #[must_use]
    pub fn is_big_endian(self) -> bool {
        self.table().big_endian
    }

    /// The byte order of `seccomp_data` on this ABI.
    ///
    /// ```
    /// use seccomp_compiler::Arch;
    /// assert_eq!(Arch::S390x.endian(), seccomp_bpf::Endian::Big);
    /// ```
    #[must_use]
    pub fn endian(self) -> seccomp_bpf::Endian {
        if self.is_big_endian() {
            seccomp_bpf::Endian::Big
        } else {
            seccomp_bpf::Endian::Little
        }
    }

    /// The syscall of this name, if the ABI has it.
    #[must_use]
    pub fn syscall(self, name: &str) -> Option<&'static Syscall> {
        let t = self.table().syscalls;
        t.binary_search_by(|s| s.name.cmp(name)).ok().map(|i| &t[i])
    }

    /// The syscall of this number, if the ABI has it.
    #[must_use]
    pub fn syscall_by_nr(self, nr: u32) -> Option<&'static Syscall> {
        let t = self.table();
        t.by_nr
            .binary_search_by(|&i| t.syscalls[usize::from(i)].nr.cmp(&nr))
            .ok()
            .map(|i| &t.syscalls[usize::from(t.by_nr[i])])
    }

    /// The errno numbering of the ABI, sorted by name.
    #[must_use]
    pub fn errnos(self) -> &'static [Errno] {
        crate::generated::errno::table(self.table().errno)
    }

    /// The value of an errno name on this ABI.
    #[must_use]
    pub fn errno(self, name: &str) -> Option<u16> {
        let t = self.errnos();
        t.binary_search_by(|e| e.name.cmp(name))
            .ok()
            .map(|i| t[i].value)
    }

    /// Whether the kernel lets syscall `nr` of this ABI through without running any
    /// filter: `uretprobe` and `uprobe` on x86_64.
    ///
    /// Evidence: kernel/seccomp.c, `seccomp_uprobe_exception()` (Linux v7.2), called by
    /// `seccomp_is_const_allow()`: when the action cache is built, `__NR_uretprobe`
    /// and `__NR_uprobe` with `seccomp_data.arch == SECCOMP_ARCH_NATIVE` are marked
    /// always-allowed without looking at the program, so `seccomp_cache_check_allow()`
    /// passes them before any filter runs (they are also in `mode1_syscalls[]`, the
    /// strict-mode list). Only arch/x86/entry/syscalls/syscall_64.tbl defines them;
    /// x32's numbers carry bit 30, differ from `__NR_uretprobe` and are filtered.
    ///
    /// ```
    /// use seccomp_compiler::Arch;
    /// let nr = Arch::X86_64.syscall("uretprobe").unwrap().nr;
    /// assert!(Arch::X86_64.kernel_never_filters(nr));
    /// assert!(!Arch::X32.kernel_never_filters(Arch::X32.syscall("uretprobe").unwrap().nr));
    /// ```
    #[must_use]
    pub fn kernel_never_filters(self, nr: u32) -> bool {
        self == Arch::X86_64
            && matches!(
                self.syscall_by_nr(nr).map(|s| s.name),
                Some("uretprobe" | "uprobe")
            )
    }

    /// The ABIs that share this one's `AUDIT_ARCH` value, this one included
    /// (x86_64 and x32 do; they differ by [`X32_SYSCALL_BIT`]).
    #[must_use]
    pub fn is_x32_pair(self, other: Arch) -> bool {
        matches!(
            (self, other),
            (Arch::X86_64, Arch::X32) | (Arch::X32, Arch::X86_64)
        )
    }
}

impl core::fmt::Display for Arch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Arch;

    /// The shared description and the compiler's tables are the same ABIs, in the
    /// same order, with the same facts.
    #[test]
    fn every_abi_s_description_agrees_with_its_table() {
        assert_eq!(seccomp_bpf::arch::ARCHES.len(), Arch::ALL.len());
        for &a in Arch::ALL {
            let info = a.info();
            let t = a.table();
            assert_eq!(info.name, a.as_str());
            assert_eq!(info.audit_arch, t.audit_arch, "{a}");
            assert_eq!(info.endian, a.endian(), "{a}");
            assert_eq!(info.reg_bits, t.reg_bits, "{a}");
            assert_eq!(info.pointer_bits, t.pointer_bits, "{a}");
            for s in t.syscalls {
                assert!(info.owns(s.nr), "{a} {} {}", s.name, s.nr);
            }
        }
    }

    /// The program's split of the numbers sharing an `AUDIT_ARCH` (x86_64 and x32)
    /// is the descriptions' on every number an ABI can have.
    #[test]
    fn the_program_splits_numbers_as_the_descriptions_say() {
        for n in [0, 39, 0x3fff_ffff, 0x4000_0000, 0x4000_0027, 0x7fff_ffff] {
            for a in [Arch::X86_64, Arch::X32] {
                assert_eq!(crate::lower::owns(a, n), a.info().owns(n), "{a} {n:#x}");
            }
        }
    }
}
