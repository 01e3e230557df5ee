//! Parameter names on every ABI: which (ABI, syscall) pairs still have none and why,
//! that a policy naming parameters compiles wherever the syscall exists, and that each
//! name reads the `args[]` slot the kernel reads (clone's four argument orders).
//!
//! The tables are Linux v7.2.13's (`cargo xtask gen-tables`); arch entry points that
//! are wrappers are resolved through `xtask/data/entry-points.tsv`, whose rows carry
//! the kernel file and function each fact comes from.

use std::collections::BTreeSet;

use seccomp_bpf::ret::Action;
use seccomp_bpf::{SeccompData, SockFilter, check, simulate};
use seccomp_compiler::tables::ParamClass;
use seccomp_compiler::{Arch, compile_str};

/// Every (ABI, syscall) whose parameters the tables do not know, with the reason.
/// A pair that gains or loses names must change this list.
const WITHOUT_NAMES: &[(&[&str], &[&str], &str)] = &[
    (
        &["arm"],
        &[
            "breakpoint",
            "cacheflush",
            "get_tls",
            "set_tls",
            "usr26",
            "usr32",
        ],
        "ARM private calls (0x0f0001..): arch/arm/kernel/traps.c arm_syscall(int no, struct \
         pt_regs *) reads each one's registers in its own way; no prototype",
    ),
    (
        &["mips", "mipsel"],
        &["syscall"],
        "o32 indirect syscall (arch/mips/kernel/scall32-o32.S sys_syscall): args[0] is a \
         syscall number and the rest are that syscall's arguments, shifted by one",
    ),
    (
        &["s390"],
        &[
            "fadvise64_64",
            "fstat64",
            "fstatat64",
            "ftruncate64",
            "lstat64",
            "mmap2",
            "stat64",
            "truncate64",
        ],
        "31-bit-only compat_sys_s390_* functions (arch/s390/kernel/compat_linux.c); the \
         31-bit ABI was removed in Linux v6.19, so the v7.2.13 data has no prototype",
    ),
];

fn listed() -> BTreeSet<(&'static str, &'static str)> {
    let mut out = BTreeSet::new();
    for (abis, names, why) in WITHOUT_NAMES {
        assert!(!why.is_empty());
        for abi in *abis {
            for name in *names {
                assert!(out.insert((*abi, *name)), "{abi} {name} is listed twice");
            }
        }
    }
    out
}

#[test]
fn the_pairs_without_names_are_exactly_the_listed_ones() {
    let mut actual = BTreeSet::new();
    for &arch in Arch::ALL {
        for sc in arch.table().syscalls {
            if sc.params.is_none() {
                actual.insert((arch.as_str(), sc.name));
            }
        }
    }
    let want = listed();
    let gained: Vec<_> = want.difference(&actual).collect();
    let lost: Vec<_> = actual.difference(&want).collect();
    assert!(
        gained.is_empty() && lost.is_empty(),
        "listed without names but named now: {gained:?}; without names but not listed: {lost:?}"
    );
}

#[test]
fn every_syscall_named_on_x86_64_is_named_on_every_abi_that_has_it() {
    for &arch in Arch::ALL {
        for sc in arch.table().syscalls {
            if sc.params.is_none() {
                let x86_64 = Arch::X86_64.syscall(sc.name);
                assert!(
                    x86_64.is_none_or(|s| s.params.is_none()),
                    "{arch} {} has no names but x86_64 names it",
                    sc.name
                );
            }
        }
    }
}

/// One rule per syscall, each naming parameters by their x86_64 names.
const RULES: &[(&str, &str)] = &[
    (
        "clone",
        "clone_flags == 0x11 && newsp == 0 => errno(EPERM);",
    ),
    ("ioctl", "fd == 1 && cmd == 0x5401 => errno(EPERM);"),
    ("ptrace", "request == 16 && pid == 1 => errno(EPERM);"),
    (
        "fcntl",
        "fd == 3 && cmd == 4 && arg == 2048 => errno(EPERM);",
    ),
    (
        "madvise",
        "start == 4096 && len == 8192 && behavior == 14 => errno(EPERM);",
    ),
    ("personality", "personality == 8 => errno(EPERM);"),
];

fn run(bpf: &[SockFilter], arch: Arch, nr: u32, args: [u64; 6]) -> Action {
    let d = SeccompData {
        nr: nr as i32,
        arch: arch.audit_arch(),
        instruction_pointer: 0,
        args,
    };
    Action::from_ret(simulate(bpf, &d, arch.endian()).expect("runs"))
}

fn build(src: &str, arch: Arch) -> Vec<SockFilter> {
    let p =
        compile_str(src, arch).unwrap_or_else(|e| panic!("{arch}: {src}: {}", e[0].full_message()));
    let bpf = p.to_sock_filters().expect("no symbols");
    check(&bpf).expect("the kernel accepts it");
    bpf
}

/// The `args[]` value that makes parameter `name` of `syscall` equal `value` on `arch`.
fn args_with(arch: Arch, syscall: &str, set: &[(&str, u64)]) -> [u64; 6] {
    let ps = arch
        .syscall(syscall)
        .and_then(|s| s.params)
        .expect("params");
    let mut args = [0u64; 6];
    for (name, value) in set {
        let i = ps
            .iter()
            .position(|p| p.name == *name)
            .unwrap_or_else(|| panic!("{arch} {syscall}: no `{name}`"));
        args[i] = *value;
    }
    args
}

#[test]
fn a_policy_naming_parameters_compiles_on_every_abi_that_has_the_syscall() {
    let values: &[(&str, &[(&str, u64)])] = &[
        ("clone", &[("clone_flags", 0x11), ("newsp", 0)]),
        ("ioctl", &[("fd", 1), ("cmd", 0x5401)]),
        ("ptrace", &[("request", 16), ("pid", 1)]),
        ("fcntl", &[("fd", 3), ("cmd", 4), ("arg", 2048)]),
        (
            "madvise",
            &[("start", 4096), ("len", 8192), ("behavior", 14)],
        ),
        ("personality", &[("personality", 8)]),
    ];
    for &arch in Arch::ALL {
        let mut src = String::new();
        let mut present = Vec::new();
        for (syscall, rule) in RULES {
            if arch.syscall(syscall).is_some() {
                src.push_str(&format!("{syscall}: {rule}\n"));
                present.push(*syscall);
            }
        }
        // Every ABI here has all six (the rule list would silently shrink otherwise).
        assert_eq!(present.len(), RULES.len(), "{arch}: {present:?}");
        src.push_str("default => allow;\n");
        let bpf = build(&src, arch);
        for (syscall, set) in values {
            let Some(sc) = arch.syscall(syscall) else {
                continue;
            };
            let eperm = Action::Errno(arch.errno("EPERM").unwrap());
            assert_eq!(
                run(&bpf, arch, sc.nr, args_with(arch, syscall, set)),
                eperm,
                "{arch} {syscall}"
            );
            // One parameter off: allowed.
            let mut off = set.to_vec();
            off[0].1 ^= 0x100;
            assert_eq!(
                run(&bpf, arch, sc.nr, args_with(arch, syscall, &off)),
                Action::Allow,
                "{arch} {syscall}"
            );
        }
    }
}

/// `args[]` slots of clone(2) per ABI: (clone_flags, newsp, parent_tidptr, child_tidptr, tls).
///
/// Evidence (Linux v7.2.13 tables; sources read in v6.12):
/// - kernel/fork.c defines sys_clone in four orders: default
///   (flags, newsp, parent_tidptr, child_tidptr, tls); CONFIG_CLONE_BACKWARDS
///   (flags, newsp, parent_tidptr, tls, child_tidptr); CONFIG_CLONE_BACKWARDS2
///   (newsp, flags, parent_tidptr, child_tidptr, tls); CONFIG_CLONE_BACKWARDS3
///   (microblaze only, not a table here).
/// - BACKWARDS: arch/{arm,arm64,riscv,powerpc,mips,parisc}/Kconfig, and arch/x86/Kconfig
///   under X86_32 (an i386 task on x86_64 enters compat_sys_ia32_clone,
///   arch/x86/kernel/sys_ia32.c, same order). mips `__sys_clone` is
///   save_static_function(sys_clone) (arch/mips/kernel/syscall.c, arch/mips/include/asm/
///   sim.h): it jumps to sys_clone with the registers untouched; parisc
///   `sys_clone_wrapper` (arch/parisc/kernel/entry.S `fork_like clone`) likewise.
/// - BACKWARDS2: arch/s390/Kconfig (s390x and its 31-bit compat ABI).
/// - default: x86_64 and x32 (x86_64.tbl `56 common clone sys_clone`), loongarch64, sh;
///   m68k `__sys_clone` (arch/m68k/kernel/entry.S) calls m68k_clone
///   (arch/m68k/kernel/process.c), which takes flags from d1, stack d2, parent_tid d3,
///   child_tid d4, tls d5, and arch/m68k/include/asm/syscall.h puts d1..d5 in args[0..4].
fn clone_slots(arch: Arch) -> [usize; 5] {
    const DEFAULT: [usize; 5] = [0, 1, 2, 3, 4];
    const BACKWARDS: [usize; 5] = [0, 1, 2, 4, 3];
    const BACKWARDS2: [usize; 5] = [1, 0, 2, 3, 4];
    match arch {
        Arch::X86_64 | Arch::X32 | Arch::Loongarch64 | Arch::M68k | Arch::Sh | Arch::Sheb => {
            DEFAULT
        }
        Arch::X86
        | Arch::Arm
        | Arch::Aarch64
        | Arch::Riscv64
        | Arch::Ppc
        | Arch::Ppc64
        | Arch::Ppc64le
        | Arch::Mips
        | Arch::Mipsel
        | Arch::Mips64
        | Arch::Mipsel64
        | Arch::Mips64n32
        | Arch::Mipsel64n32
        | Arch::Parisc
        | Arch::Parisc64 => BACKWARDS,
        Arch::S390x | Arch::S390 => BACKWARDS2,
    }
}

#[test]
fn each_clone_parameter_is_checked_in_the_slot_the_kernel_reads() {
    let names = [
        "clone_flags",
        "newsp",
        "parent_tidptr",
        "child_tidptr",
        "tls",
    ];
    for &arch in Arch::ALL {
        let slots = clone_slots(arch);
        let nr = arch.syscall("clone").expect("clone").nr;
        let eperm = Action::Errno(arch.errno("EPERM").unwrap());
        for (name, &slot) in names.iter().zip(&slots) {
            // A deny rule on one parameter: the value in that parameter's slot is
            // denied, the same value in any other slot is not.
            let bpf = build(
                &format!("clone: {name} == 0x1234 => errno(EPERM); default => allow;"),
                arch,
            );
            for i in 0..6 {
                let mut args = [0u64; 6];
                args[i] = 0x1234;
                let want = if i == slot { eperm } else { Action::Allow };
                assert_eq!(
                    run(&bpf, arch, nr, args),
                    want,
                    "{arch} {name} in args[{i}]"
                );
            }
        }
        // clone_flags is declared `unsigned long`, and kernel/fork.c reads
        // lower_32_bits(clone_flags) (xtask/data/effective-widths.tsv): 32 bits everywhere.
        let flags = arch.syscall("clone").unwrap().params.unwrap()[slots[0]];
        assert_eq!(flags.name, "clone_flags", "{arch}");
        let reg_bits = arch.table().reg_bits;
        assert!(
            flags.class == ParamClass::Uint32 || reg_bits == 32 && flags.class == ParamClass::Ulong,
            "{arch}: {:?}",
            flags.class
        );
    }
}

#[test]
fn compat_and_time32_twins_take_the_syscalls_own_names() {
    // compat_sys_recvfrom(fd, buf, len, flags, addr, addrlen) (net/compat.c) is
    // sys_recvfrom(fd, ubuf, size, flags, addr, addr_len) for 32-bit programs: one
    // argument order, so x86_64's names; its classes stay 32 bits.
    let p = Arch::X32.syscall("recvfrom").unwrap().params.unwrap();
    assert_eq!(
        p.iter().map(|p| p.name).collect::<Vec<_>>(),
        ["fd", "ubuf", "size", "flags", "addr", "addr_len"]
    );
    assert_eq!(p[2].class, ParamClass::Uint32);
    let bpf = build(
        "recvfrom: size > 100 => errno(EPERM); default => allow;",
        Arch::X32,
    );
    let nr = Arch::X32.syscall("recvfrom").unwrap().nr;
    let eperm = Action::Errno(Arch::X32.errno("EPERM").unwrap());
    assert_eq!(run(&bpf, Arch::X32, nr, [0, 0, 101, 0, 0, 0]), eperm);
    assert_eq!(
        run(&bpf, Arch::X32, nr, [0, 0, 1 << 32, 0, 0, 0]),
        Action::Allow
    );
    // sys_utimes_time32(filename, t) (fs/utimes.c) is utimes(filename, utimes).
    for arch in [Arch::X86, Arch::Arm, Arch::Mips, Arch::Mips64n32, Arch::Ppc] {
        let p = arch.syscall("utimes").unwrap().params.unwrap();
        assert_eq!(p[1].name, "utimes", "{arch}");
    }
}

#[test]
fn compat_entry_points_read_32_bit_values() {
    // compat_sys_ioctl(unsigned int fd, unsigned int cmd, compat_ulong_t arg) and
    // compat_sys_ptrace(compat_long_t request, compat_long_t pid, compat_long_t addr,
    // compat_long_t data) (fs/ioctl.c, kernel/ptrace.c): COMPAT_SYSCALL_DEFINE casts each
    // 64-bit register to the declared 32-bit type (__SC_DELOUSE, include/linux/compat.h),
    // so on x32 and n32 only the low word decides.
    for arch in [Arch::X32, Arch::Mips64n32, Arch::Mipsel64n32] {
        let p = arch.syscall("ioctl").unwrap().params.unwrap();
        assert_eq!(
            (p[2].name, p[2].class),
            ("arg", ParamClass::Uint32),
            "{arch}"
        );
        let p = arch.syscall("ptrace").unwrap().params.unwrap();
        assert_eq!(
            p.iter().map(|p| (p.name, p.class)).collect::<Vec<_>>(),
            [
                ("request", ParamClass::Int32),
                ("pid", ParamClass::Int32),
                ("addr", ParamClass::Int32),
                ("data", ParamClass::Int32)
            ],
            "{arch}"
        );
        // The high word is garbage the kernel drops: a deny rule still matches.
        let bpf = build("ioctl: arg == 7 => errno(EPERM); default => allow;", arch);
        let nr = arch.syscall("ioctl").unwrap().nr;
        let eperm = Action::Errno(arch.errno("EPERM").unwrap());
        assert_eq!(
            run(&bpf, arch, nr, [0, 0, 0xdead_0000_0000_0007, 0, 0, 0]),
            eperm,
            "{arch}"
        );
    }
    // mips n32 fcntl is compat_sys_fcntl(unsigned int fd, unsigned int cmd,
    // compat_ulong_t arg) (fs/fcntl.c).
    let p = Arch::Mips64n32.syscall("fcntl").unwrap().params.unwrap();
    assert_eq!((p[2].name, p[2].class), ("arg", ParamClass::Uint32));
}

#[test]
fn wrappers_that_read_no_argument_have_no_parameters() {
    // arch/mips/kernel/syscall.c sysm_pipe(void), arch/mips/kernel/signal.c
    // sys_rt_sigreturn(void), arch/parisc/kernel/entry.S sys_rt_sigreturn_wrapper (loads
    // pt_regs itself), arch/arm/kernel/entry-common.S sys_rt_sigreturn_wrapper.
    for (arch, name) in [
        (Arch::Mips, "pipe"),
        (Arch::Mips64, "rt_sigreturn"),
        (Arch::Mips64n32, "rt_sigreturn"),
        (Arch::Parisc, "rt_sigreturn"),
        (Arch::Arm, "rt_sigreturn"),
        (Arch::M68k, "fork"),
    ] {
        assert_eq!(
            arch.syscall(name).unwrap().params,
            Some(&[][..]),
            "{arch} {name}"
        );
        let e = compile_str(&format!("{name}: arg0 == 1;"), arch).err();
        assert!(e.is_some(), "{arch} {name}: arg0 is not read by the kernel");
    }
}

#[test]
fn parisc_wrappers_keep_the_generic_names_and_explicit_halves() {
    // arch/parisc/kernel/sys_parisc.c: parisc_madvise passes (start, len_in, behavior) to
    // sys_madvise; parisc_pread64(fd, buf, count, high, low) takes the 64-bit position
    // as two explicit 32-bit words.
    let names = |a: Arch, n: &str| {
        a.syscall(n)
            .unwrap()
            .params
            .unwrap()
            .iter()
            .map(|p| p.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(names(Arch::Parisc, "madvise"), ["start", "len", "behavior"]);
    assert_eq!(
        names(Arch::Parisc64, "madvise"),
        ["start", "len", "behavior"]
    );
    assert_eq!(
        names(Arch::Parisc, "pread64"),
        ["fd", "buf", "count", "high", "low"]
    );
    assert_eq!(names(Arch::Parisc, "personality"), ["personality"]);
}

/// Syscalls whose parameters are as many as on x86_64 but named differently on
/// some ABI, and why. Anything else with x86_64's count has x86_64's names, so a
/// policy that names them compiles on every ABI.
const OTHER_NAMES: &[(&str, &str)] = &[
    (
        "clone",
        "the same five names in the ABI's own order (kernel/fork.c CONFIG_CLONE_BACKWARDS*)",
    ),
    (
        "mmap",
        "the last parameter is `off` in arch/x86 and arch/arm64 SYSCALL_DEFINE6(mmap) and \
         `offset` in the riscv, loongarch, powerpc, mips and parisc functions",
    ),
];

#[test]
fn parameters_have_x86_64s_names_wherever_they_are_as_many() {
    for &arch in Arch::ALL {
        for sc in arch.table().syscalls {
            let (Some(ps), Some(x)) = (
                sc.params,
                Arch::X86_64.syscall(sc.name).and_then(|s| s.params),
            ) else {
                continue;
            };
            if ps.len() != x.len() {
                continue;
            }
            let names: Vec<&str> = ps.iter().map(|p| p.name).collect();
            let want: Vec<&str> = x.iter().map(|p| p.name).collect();
            if names == want {
                continue;
            }
            assert!(
                OTHER_NAMES.iter().any(|(n, _)| *n == sc.name),
                "{arch} {}: {names:?}, x86_64 {want:?}",
                sc.name
            );
            if sc.name == "clone" {
                let (mut a, mut b) = (names.clone(), want.clone());
                a.sort_unstable();
                b.sort_unstable();
                assert_eq!(a, b, "{arch}");
            }
        }
    }
}

#[test]
fn sigsuspend_takes_the_definition_its_arch_selects() {
    // kernel/signal.c: CONFIG_OLD_SIGSUSPEND3 (arch/x86, arm, m68k, s390 Kconfig) is
    // sigsuspend(int unused1, int unused2, old_sigset_t mask), CONFIG_OLD_SIGSUSPEND
    // (arch/powerpc, sh Kconfig) sigsuspend(old_sigset_t mask); mips o32 has its own
    // sigsuspend(sigset_t __user *uset) (arch/mips/kernel/signal.c).
    let mask_slot = |a: Arch| {
        let p = a.syscall("sigsuspend").unwrap().params.unwrap();
        (p.len(), p.iter().position(|p| p.name == "mask"))
    };
    for a in [Arch::X86, Arch::Arm, Arch::M68k, Arch::S390, Arch::S390x] {
        assert_eq!(mask_slot(a), (3, Some(2)), "{a}");
    }
    for a in [Arch::Ppc, Arch::Sh, Arch::Sheb] {
        assert_eq!(mask_slot(a), (1, Some(0)), "{a}");
    }
    let p = Arch::Mips.syscall("sigsuspend").unwrap().params.unwrap();
    assert_eq!((p[0].name, p[0].class), ("uset", ParamClass::Pointer));
    // The mask is in args[2] on x86: a deny rule on it reads that slot.
    let bpf = build(
        "sigsuspend: mask == 5 => errno(EPERM); default => allow;",
        Arch::X86,
    );
    let nr = Arch::X86.syscall("sigsuspend").unwrap().nr;
    let eperm = Action::Errno(Arch::X86.errno("EPERM").unwrap());
    assert_eq!(run(&bpf, Arch::X86, nr, [0, 0, 5, 0, 0, 0]), eperm);
    assert_eq!(run(&bpf, Arch::X86, nr, [5, 0, 0, 0, 0, 0]), Action::Allow);
}
