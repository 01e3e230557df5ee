//! The generated tables against libseccomp's own table (`tests/data/
//! libseccomp-syscalls.csv`, a verbatim copy of its `src/syscalls.csv` written by
//! `cargo xtask gen-tables`): every (ABI, name) pair either side has must agree, but
//! for the disagreements listed here, each with its reason.

use std::collections::BTreeSet;

use seccomp_compiler::Arch;
use seccomp_compiler::tables::ParamClass;

/// (ABI, name): pairs where the kernel v7.2.13 tables and libseccomp differ.
const KNOWN: &[(&str, &str, &str)] = &[
    // arch/loongarch/kernel/Makefile.syscalls adds the `memfd_secret` tag;
    // libseccomp filters loongarch64 on tag `64` only.
    ("loongarch64", "memfd_secret", "only in the kernel"),
    // arch/mips/kernel/syscalls/syscall_o32.tbl lists 59 and 109 as `unused59` and
    // `unused109`, yet they reach `sys_olduname` and `sys_uname`: our tables name
    // them as x86 and ppc do; libseccomp has no mips number for them.
    ("mips", "oldolduname", "only in the kernel"),
    ("mips", "olduname", "only in the kernel"),
    ("mipsel", "oldolduname", "only in the kernel"),
    ("mipsel", "olduname", "only in the kernel"),
    // The 31-bit s390 ABI was removed in Linux 6.19: our table is v6.12.117's, the
    // last we have; libseccomp froze its own at v6.18, which adds 463–469.
    ("s390", "setxattrat", "only in libseccomp"),
    ("s390", "getxattrat", "only in libseccomp"),
    ("s390", "listxattrat", "only in libseccomp"),
    ("s390", "removexattrat", "only in libseccomp"),
    ("s390", "open_tree_attr", "only in libseccomp"),
    ("s390", "file_getattr", "only in libseccomp"),
    ("s390", "file_setattr", "only in libseccomp"),
];

/// libseccomp's column of each of our ABIs, and how its numbers are offset.
fn column(arch: Arch) -> (&'static str, u32, bool) {
    match arch {
        Arch::Ppc64le => ("ppc64", 0, false),
        Arch::Mipsel => ("mips", 4000, false),
        Arch::Mips => ("mips", 4000, false),
        Arch::Mips64 | Arch::Mipsel64 => ("mips64", 5000, false),
        Arch::Mips64n32 | Arch::Mipsel64n32 => ("mips64n32", 6000, false),
        Arch::X32 => ("x32", 0, true),
        Arch::Sheb => ("sh", 0, false),
        a => (a.as_str(), 0, false),
    }
}

#[test]
fn every_number_agrees_with_libseccomp_but_the_known_differences() {
    let csv = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/libseccomp-syscalls.csv"
    ))
    .expect("fixture");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let mut differences = BTreeSet::new();
    let mut pairs = 0;
    for &arch in Arch::ALL {
        let (col, offset, x32) = column(arch);
        let i = header
            .iter()
            .position(|h| *h == col)
            .unwrap_or_else(|| panic!("no column {col}"));
        let mut theirs = BTreeSet::new();
        for r in &rows {
            let name = r[0];
            if r[i] == "PNR" {
                continue;
            }
            let v: u32 = r[i].parse().expect("number");
            let nr = if x32 { v | 0x4000_0000 } else { v + offset };
            theirs.insert(name);
            pairs += 1;
            match arch.syscall(name) {
                Some(sc) => assert_eq!(
                    sc.nr, nr,
                    "{arch} {name}: ours {:#x}, libseccomp's {nr:#x}",
                    sc.nr
                ),
                None => {
                    differences.insert((arch.as_str(), name));
                }
            }
        }
        for sc in arch.table().syscalls {
            if !theirs.contains(sc.name) {
                differences.insert((arch.as_str(), sc.name));
            }
        }
    }
    let known: BTreeSet<(&str, &str)> = KNOWN.iter().map(|&(a, n, _)| (a, n)).collect();
    assert_eq!(
        differences, known,
        "differences with libseccomp other than the known ones"
    );
    assert!(pairs > 9000, "{pairs}");
}

#[test]
fn the_index_by_number_is_sorted_and_complete() {
    for &arch in Arch::ALL {
        let t = arch.table();
        let nrs: Vec<u32> = t
            .by_nr
            .iter()
            .map(|&i| t.syscalls[usize::from(i)].nr)
            .collect();
        assert!(nrs.windows(2).all(|w| w[0] < w[1]), "{arch}");
        for sc in t.syscalls {
            assert_eq!(
                arch.syscall_by_nr(sc.nr).map(|s| s.nr),
                Some(sc.nr),
                "{arch} {}",
                sc.name
            );
            assert_eq!(arch.syscall(sc.name).map(|s| s.nr), Some(sc.nr));
        }
        assert!(
            t.syscalls.windows(2).all(|w| w[0].name < w[1].name),
            "{arch}"
        );
    }
}

#[test]
fn hand_checked_facts() {
    let nr = |a: Arch, n: &str| a.syscall(n).map(|s| s.nr);
    assert_eq!(nr(Arch::X86_64, "read"), Some(0));
    assert_eq!(nr(Arch::X32, "read"), Some(0x4000_0000));
    assert_eq!(nr(Arch::Mips, "openat"), Some(4288));
    assert_eq!(nr(Arch::Mips64n32, "openat"), Some(6251));
    assert_eq!(nr(Arch::Arm, "cacheflush"), Some(0x0f_0002));
    assert_eq!(nr(Arch::Aarch64, "open"), None);
    assert_eq!(nr(Arch::X86, "socketcall"), Some(102));
    assert_eq!(nr(Arch::S390x, "mmap"), Some(90));
    assert_eq!(Arch::X86_64.audit_arch(), 0xc000_003e);
    assert_eq!(Arch::X32.audit_arch(), 0xc000_003e);
    assert_eq!(Arch::Sh.audit_arch(), 0x4000_002a);
    assert_eq!(Arch::Sheb.audit_arch(), 0x0000_002a);
    assert!(
        Arch::S390x.is_big_endian()
            && !Arch::Ppc64le.is_big_endian()
            && Arch::Ppc64.is_big_endian()
    );
    for &a in Arch::ALL {
        assert_eq!(a.errno("EPERM"), Some(1), "{a}");
    }
    assert_eq!(Arch::Mips.errno("EDEADLOCK"), Some(56));
    assert_eq!(Arch::Parisc.errno("EDEADLOCK"), Some(45));
    assert_eq!(Arch::Ppc.errno("EDEADLOCK"), Some(58));
    assert_eq!(Arch::X86_64.errno("EDEADLOCK"), Some(35));
    assert_eq!(Arch::Mips.errno("ENOSYS"), Some(89));
    assert_eq!(Arch::Parisc.errno("ENOSYS"), Some(251));
    // Parameters: the kernel's names and what it reads.
    let params = |a: Arch, n: &str| a.syscall(n).and_then(|s| s.params).expect("params");
    let read = params(Arch::X86_64, "read");
    assert_eq!((read[0].name, read[0].class), ("fd", ParamClass::Uint32));
    assert_eq!((read[2].name, read[2].class), ("count", ParamClass::Ulong));
    assert_eq!(params(Arch::X86_64, "openat")[0].class, ParamClass::Int32);
    assert_eq!(params(Arch::X86_64, "lseek")[1].class, ParamClass::Long);
    // i386 pread64 is ia32_pread64(fd, ubuf, count, poslo, poshi): plain 32-bit halves.
    let p = params(Arch::X86, "pread64");
    assert_eq!(
        p.iter().map(|p| p.name).collect::<Vec<_>>(),
        ["fd", "ubuf", "count", "poslo", "poshi"]
    );
    // arm pread64 has a padded 64-bit `pos`: it cannot be named.
    let p = params(Arch::Arm, "pread64");
    assert_eq!(p[3].class, ParamClass::Split64);
    // x86_64 and s390x clone orders differ.
    let names = |a: Arch| {
        params(a, "clone")
            .iter()
            .map(|p| p.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(names(Arch::X86_64)[..2], ["clone_flags", "newsp"]);
    assert_eq!(names(Arch::S390x)[..2], ["newsp", "clone_flags"]);
    assert_eq!(params(Arch::X86_64, "open")[2].class, ParamClass::Uint16);
}
