//! The syscall ABIs a seccomp filter can be compiled for, one description each,
//! and the ABI of the target this crate is compiled for ([`NATIVE`]).
//!
//! The table is generated (`cargo xtask gen-tables`, from the kernel's
//! `AUDIT_ARCH_*` values, its ABI map and rustc's target list): the `seccomp!`
//! macro emits each ABI's program behind [`ArchInfo::cfg`], the runtime's
//! `AUDIT_ARCH` is [`NATIVE`]'s, and `seccompc` defaults to [`NATIVE`] — one source,
//! so they cannot disagree about which target runs which ABI.
//!
//! ```
//! use seccomp_bpf::{Endian, arch::{self, ArchInfo}};
//! let x32 = ArchInfo::by_name("x32").unwrap();
//! assert_eq!(x32.audit_arch, 0xc000_003e); // shared with x86_64 …
//! assert!(x32.owns(0x4000_0027) && !x32.owns(39)); // … told apart by bit 30
//! assert_eq!(ArchInfo::by_name("s390x").unwrap().endian, Endian::Big);
//! # #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
//! assert_eq!(arch::NATIVE.map(|a| a.name), Some("x86_64"));
//! ```

use crate::data::Endian;

/// One Linux syscall ABI, as a seccomp filter sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArchInfo {
    /// libseccomp's name of the ABI (`x86_64`, `mipsel64n32`, …).
    pub name: &'static str,
    /// The Rust `cfg` predicate of the targets that run this ABI, as `#[cfg(…)]`
    /// takes it; `None` when no Rust target does (parisc, s390, sh, …).
    pub cfg: Option<&'static str>,
    /// The `AUDIT_ARCH_*` value the kernel puts in `seccomp_data.arch`.
    pub audit_arch: u32,
    /// The byte order of `seccomp_data`.
    pub endian: Endian,
    /// The width of the argument registers as the kernel reads them (64 on x32
    /// and mips n32).
    pub reg_bits: u8,
    /// The width of a user-space pointer.
    pub pointer_bits: u8,
    /// The first syscall number that belongs to this ABI (`seccomp_data.nr`).
    pub nr_first: u32,
    /// The last one. Numbers outside `nr_first..=nr_last` belong to another ABI of
    /// the same kernel (x32's have bit 30 set, mips o32/n64/n32 use 4000–4999,
    /// 5000–5999, 6000–6999) or, negative as the kernel's `int`, to none.
    pub nr_last: u32,
}

impl ArchInfo {
    /// Whether syscall number `nr` belongs to this ABI's number range.
    ///
    /// ```
    /// use seccomp_bpf::arch::ArchInfo;
    /// let o32 = ArchInfo::by_name("mips").unwrap();
    /// assert!(o32.owns(4020) && !o32.owns(5038) && !o32.owns(20));
    /// ```
    #[must_use]
    pub const fn owns(&self, nr: u32) -> bool {
        self.nr_first <= nr && nr <= self.nr_last
    }

    /// The ABI of libseccomp's name `name`.
    ///
    /// ```
    /// assert!(seccomp_bpf::arch::ArchInfo::by_name("aarch64").is_some());
    /// ```
    #[must_use]
    pub fn by_name(name: &str) -> Option<&'static ArchInfo> {
        ARCHES.iter().find(|a| a.name == name)
    }
}

#[rustfmt::skip]
#[path = "generated/arches.rs"]
mod generated;

pub use generated::{ARCHES, NATIVE};

#[cfg(test)]
mod tests {
    use super::*;

    /// The compilation target's ABI is the one entry whose `cfg` holds, compared
    /// with the `cfg!` of its text written out here for the targets the tests run on.
    #[test]
    fn native_is_the_target_s_abi() {
        let want = if cfg!(all(target_arch = "x86_64", target_pointer_width = "64")) {
            Some("x86_64")
        } else if cfg!(all(
            target_arch = "aarch64",
            target_endian = "little",
            target_pointer_width = "64"
        )) {
            Some("aarch64")
        } else {
            return;
        };
        assert_eq!(NATIVE.map(|a| a.name), want);
    }

    #[test]
    fn every_abi_owns_its_numbers_and_no_other_abi_of_its_audit_arch_does() {
        for a in ARCHES {
            assert!(
                a.nr_first <= a.nr_last && a.nr_last <= 0x7fff_ffff,
                "{}",
                a.name
            );
            for b in ARCHES {
                if a.name != b.name && a.audit_arch == b.audit_arch {
                    assert!(
                        a.nr_last < b.nr_first || b.nr_last < a.nr_first,
                        "{} {}",
                        a.name,
                        b.name
                    );
                }
            }
        }
    }
}
