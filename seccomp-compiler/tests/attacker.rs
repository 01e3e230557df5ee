//! The compiler from the attacker's side: other ABIs, x32 numbers, garbage in the
//! high word of 32-bit parameters, sign extension, big-endian argument words,
//! multiplexers, and the kernel's limits.

use seccomp_bpf::ret::Action;
use seccomp_bpf::{Endian, MAX_INSNS, SeccompData, SockFilter, cache, check, simulate};
use seccomp_compiler::{Arch, compile_str};

fn build(src: &str, arch: Arch) -> Vec<SockFilter> {
    let p = compile_str(src, arch).unwrap_or_else(|e| panic!("{src}: {}", e[0].full_message()));
    let bpf = p.to_sock_filters().expect("no symbols");
    check(&bpf).expect("the kernel accepts it");
    bpf
}

fn errors(src: &str, arch: Arch) -> Vec<String> {
    match compile_str(src, arch) {
        Ok(_) => panic!("{src} should not compile for {arch}"),
        Err(e) => e.into_iter().map(|d| d.full_message()).collect(),
    }
}

fn run(bpf: &[SockFilter], arch: Arch, audit: u32, nr: u32, args: [u64; 6]) -> Action {
    let endian = if arch.is_big_endian() {
        Endian::Big
    } else {
        Endian::Little
    };
    let d = SeccompData {
        nr: nr as i32,
        arch: audit,
        instruction_pointer: 0,
        args,
    };
    Action::from_ret(simulate(bpf, &d, endian).expect("runs"))
}

fn nr(arch: Arch, name: &str) -> u32 {
    arch.syscall(name)
        .unwrap_or_else(|| panic!("{name} on {arch}"))
        .nr
}

const X86_64: u32 = 0xc000_003e;

#[test]
fn a_denylist_does_not_let_x32_or_i386_ptrace_through() {
    let bpf = build("ptrace => kill; default => allow;", Arch::X86_64);
    let ptrace = nr(Arch::X86_64, "ptrace");
    assert_eq!(
        run(&bpf, Arch::X86_64, X86_64, ptrace, [0; 6]),
        Action::KillProcess
    );
    // x32's ptrace is 0x40000209; as an x86_64 number it would be unknown.
    let x32_ptrace = nr(Arch::X32, "ptrace");
    assert_eq!(x32_ptrace & 0x4000_0000, 0x4000_0000);
    assert_eq!(
        run(&bpf, Arch::X86_64, X86_64, x32_ptrace, [0; 6]),
        Action::KillProcess
    );
    // Any number with the x32 bit, and i386 (int 0x80) numbers, are another ABI.
    assert_eq!(
        run(&bpf, Arch::X86_64, X86_64, 0x4000_0000 | 101, [0; 6]),
        Action::KillProcess
    );
    assert_eq!(
        run(&bpf, Arch::X86_64, X86_64, 0x8000_0001, [0; 6]),
        Action::KillProcess
    );
    assert_eq!(
        run(
            &bpf,
            Arch::X86_64,
            0x4000_0003,
            nr(Arch::X86, "ptrace"),
            [0; 6]
        ),
        Action::KillProcess
    );
    assert_eq!(
        run(
            &bpf,
            Arch::X86_64,
            0x4000_0003,
            nr(Arch::X86, "getpid"),
            [0; 6]
        ),
        Action::KillProcess
    );
    // −1 is no ABI's number: it gets the unknown action (here the default).
    assert_eq!(
        run(&bpf, Arch::X86_64, X86_64, u32::MAX, [0; 6]),
        Action::Allow
    );
}

#[test]
fn x32_is_admitted_only_when_asked_for() {
    let bpf = build(
        "arch: x86_64, x32; ptrace => kill; getpid; default => errno(EPERM);",
        Arch::X86_64,
    );
    assert_eq!(
        run(&bpf, Arch::X86_64, X86_64, nr(Arch::X32, "ptrace"), [0; 6]),
        Action::KillProcess
    );
    assert_eq!(
        run(&bpf, Arch::X86_64, X86_64, nr(Arch::X32, "getpid"), [0; 6]),
        Action::Allow
    );
    assert_eq!(
        run(
            &bpf,
            Arch::X86_64,
            X86_64,
            nr(Arch::X86_64, "getpid"),
            [0; 6]
        ),
        Action::Allow
    );
    assert_eq!(
        run(&bpf, Arch::X86_64, X86_64, nr(Arch::X32, "read"), [0; 6]),
        Action::Errno(1)
    );
}

#[test]
fn the_high_word_of_a_32_bit_parameter_is_ignored_both_ways() {
    // `fd` of write is `unsigned int`: the kernel uses the low 32 bits.
    let deny = build("write: fd == 2 => kill; default => allow;", Arch::X86_64);
    let allow = build("write: fd == 1; default => kill;", Arch::X86_64);
    let write = nr(Arch::X86_64, "write");
    for garbage in [0u64, 0xffff_ffff, 0x1234_5678, 0x8000_0000] {
        let hi = garbage << 32;
        assert_eq!(
            run(&deny, Arch::X86_64, X86_64, write, [hi | 2, 0, 0, 0, 0, 0]),
            Action::KillProcess
        );
        assert_eq!(
            run(&allow, Arch::X86_64, X86_64, write, [hi | 1, 0, 0, 0, 0, 0]),
            Action::Allow
        );
        assert_eq!(
            run(&allow, Arch::X86_64, X86_64, write, [hi | 2, 0, 0, 0, 0, 0]),
            Action::KillProcess
        );
    }
}

#[test]
fn signed_32_bit_parameters_compare_signed_whatever_the_extension() {
    // `dfd` of openat is `int`; AT_FDCWD is -100, passed zero- or sign-extended.
    let bpf = build(
        "openat: dfd == -100; openat: dfd < 0 => errno(EBADF); openat => errno(EPERM); default => kill;",
        Arch::X86_64,
    );
    let openat = nr(Arch::X86_64, "openat");
    for v in [0x0000_0000_ffff_ff9c_u64, 0xffff_ffff_ffff_ff9c] {
        assert_eq!(
            run(&bpf, Arch::X86_64, X86_64, openat, [v, 0, 0, 0, 0, 0]),
            Action::Allow
        );
    }
    for v in [0xffff_ffff_u64, 0x8000_0000, 0xffff_ffff_8000_0000] {
        assert_eq!(
            run(&bpf, Arch::X86_64, X86_64, openat, [v, 0, 0, 0, 0, 0]),
            Action::Errno(9),
            "{v:#x}"
        );
    }
    for v in [0u64, 3, 0x7fff_ffff, 0xffff_ffff_0000_0003] {
        assert_eq!(
            run(&bpf, Arch::X86_64, X86_64, openat, [v, 0, 0, 0, 0, 0]),
            Action::Errno(1),
            "{v:#x}"
        );
    }
}

#[test]
fn sixty_four_bit_parameters_compare_both_words() {
    // `offset` of lseek is `off_t`: 64 bits, signed.
    let bpf = build(
        "lseek: offset == 0x100000002 => errno(1); lseek: offset < -1 => errno(2); lseek: offset > 0xffffffff => errno(3); default => allow;",
        Arch::X86_64,
    );
    let lseek = nr(Arch::X86_64, "lseek");
    let r = |off: u64| run(&bpf, Arch::X86_64, X86_64, lseek, [0, off, 0, 0, 0, 0]);
    assert_eq!(r(0x1_0000_0002), Action::Errno(1));
    assert_eq!(r(0x2), Action::Allow);
    assert_eq!(r(0x2_0000_0002), Action::Errno(3));
    assert_eq!(r((-2i64) as u64), Action::Errno(2));
    assert_eq!(r(u64::MAX), Action::Allow);
    assert_eq!(r(0x8000_0000_0000_0000), Action::Errno(2));
    assert_eq!(r(0xffff_ffff), Action::Allow);
    assert_eq!(r(0x1_0000_0000), Action::Errno(3));
}

#[test]
fn big_endian_abis_load_the_high_word_first() {
    for arch in [Arch::S390x, Arch::Ppc64, Arch::Mips64] {
        let src = "lseek: offset == 0x100000002 => errno(1); default => allow;";
        let bpf = build(src, arch);
        let lseek = nr(arch, "lseek");
        let audit = arch.audit_arch();
        assert_eq!(
            run(&bpf, arch, audit, lseek, [0, 0x1_0000_0002, 0, 0, 0, 0]),
            Action::Errno(1),
            "{arch}"
        );
        assert_eq!(
            run(&bpf, arch, audit, lseek, [0, 0x2_0000_0001, 0, 0, 0, 0]),
            Action::Allow,
            "{arch}"
        );
        // args[1] is at offset 24: its high word at 24 on big-endian.
        assert!(bpf.iter().any(|i| i.code == 0x20 && i.k == 24), "{arch}");
    }
}

#[test]
fn unconditionally_allowed_syscalls_are_cacheable_and_checked_ones_are_not() {
    let bpf = build(
        "read: fd == 0; write: fd == 1; exit_group; getpid; default => kill;",
        Arch::X86_64,
    );
    assert!(cache::is_const_allow(
        &bpf,
        X86_64,
        nr(Arch::X86_64, "exit_group")
    ));
    assert!(cache::is_const_allow(
        &bpf,
        X86_64,
        nr(Arch::X86_64, "getpid")
    ));
    assert!(!cache::is_const_allow(
        &bpf,
        X86_64,
        nr(Arch::X86_64, "read")
    ));
    assert!(!cache::is_const_allow(
        &bpf,
        X86_64,
        nr(Arch::X86_64, "close")
    ));
    assert!(!cache::is_const_allow(
        &bpf,
        0x4000_0003,
        nr(Arch::X86, "getpid")
    ));
}

#[test]
fn the_cache_report_never_claims_numbers_the_kernel_does_not_cache() {
    use seccomp_compiler::stats::{cache_bitmap_len, measure, served_by_cache};
    // default => allow: every number of every arch is "const allow" for the program,
    // so only the kernel's bitmap bounds decide.
    let policy = "default => allow;";
    let x86_64 = build(policy, Arch::X86_64);
    assert!(served_by_cache(
        &x86_64,
        Arch::X86_64,
        nr(Arch::X86_64, "getpid")
    ));
    let len = cache_bitmap_len(Arch::X86_64).unwrap();
    assert_eq!(
        len,
        1 + Arch::X86_64
            .table()
            .syscalls
            .iter()
            .map(|s| s.nr)
            .max()
            .unwrap()
    );
    for past in [len, len + 1, 100_000, u32::MAX /* -1 */] {
        assert!(!served_by_cache(&x86_64, Arch::X86_64, past), "{past}");
    }
    // x32 numbers reach the filter with AUDIT_ARCH_X86_64 but never fit the bitmap.
    let x32 = build(policy, Arch::X32);
    for s in Arch::X32.table().syscalls {
        assert!(!served_by_cache(&x32, Arch::X32, s.nr), "{}", s.name);
    }
    let ast = seccomp_compiler::syntax::parse_str(policy).unwrap();
    let resolved = seccomp_compiler::resolve::resolve(&ast, Arch::X32).unwrap();
    let stats = measure(&x32, &resolved.abis[0]).unwrap();
    assert_eq!(stats.not_cached.len(), stats.unconditional.len());
    // mips kernels have no action cache at all.
    for arch in [Arch::Mips, Arch::Mipsel64, Arch::Mips64n32] {
        let bpf = build(policy, arch);
        assert_eq!(cache_bitmap_len(arch), None);
        assert!(!served_by_cache(&bpf, arch, nr(arch, "getpid")), "{arch}");
    }
    // arm's private calls (0xf0000…) lie past its bitmap.
    let arm = build(policy, Arch::Arm);
    assert!(served_by_cache(&arm, Arch::Arm, nr(Arch::Arm, "getpid")));
    assert!(!served_by_cache(
        &arm,
        Arch::Arm,
        nr(Arch::Arm, "cacheflush")
    ));
}

#[test]
fn the_seed_policy_is_short() {
    let bpf = build(
        "read: fd == 0; write: fd == 1; exit_group; default => kill;",
        Arch::X86_64,
    );
    assert!(
        bpf.len() <= 16,
        "{}",
        seccomp_bpf::disasm::Disasm::new(&bpf, Endian::Little)
    );
}

#[test]
fn multiplexers_cannot_bypass_argument_checks() {
    let src = "socket: family == 1; socketcall; default => kill;";
    let e = errors(src, Arch::X86);
    assert!(
        e[0].contains("leaves a bypass on x86") && e[0].contains("socketcall"),
        "{e:?}"
    );
    // Denying the multiplexer, or not checking arguments, is fine.
    build(
        "socket: family == 1; socketcall => errno(ENOSYS); default => kill;",
        Arch::X86,
    );
    build("socket; socketcall; default => kill;", Arch::X86);
    // A denylist that checks socket's arguments while the default lets socketcall through.
    let e = errors(
        "socket: family == 17 => errno(EPERM); default => allow;",
        Arch::S390x,
    );
    assert!(e[0].contains("socketcall"), "{e:?}");
    // x86_64 has no multiplexer.
    build("socket: family == 1; default => kill;", Arch::X86_64);
    // The time64 syscalls of 32-bit ABIs do what SYS_RECVMMSG and SEMTIMEDOP do.
    for (src, mux) in [
        (
            "recvmmsg_time64: fd == 3; socketcall; default => kill;",
            "socketcall",
        ),
        (
            "semtimedop_time64: semid == 3; ipc; default => kill;",
            "ipc",
        ),
    ] {
        let e = errors(src, Arch::X86);
        assert!(
            e[0].contains("leaves a bypass") && e[0].contains(mux),
            "{e:?}"
        );
    }
}

/// The ABIs with `socketcall` (all of them also have `ipc` and direct socket calls).
fn multiplexing() -> Vec<Arch> {
    let found: Vec<Arch> = Arch::ALL
        .iter()
        .copied()
        .filter(|a| a.syscall("socketcall").is_some())
        .collect();
    let expected = [
        "x86", "ppc64le", "ppc64", "ppc", "s390x", "s390", "mips", "mipsel", "m68k", "sh", "sheb",
    ];
    assert_eq!(
        found.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        expected
    );
    for &a in &found {
        assert!(
            a.syscall("ipc").is_some() && a.syscall("socket").is_some(),
            "{a}"
        );
    }
    found
}

/// A register value whose low 32 bits are `low`, with garbage above on 64-bit ABIs.
fn garbage_above(arch: Arch, low: u32) -> u64 {
    if arch.table().reg_bits == 64 {
        0xdead_beef_0000_0000 | u64::from(low)
    } else {
        u64::from(low)
    }
}

#[test]
fn a_direct_denial_also_denies_the_multiplexed_call() {
    let eperm = Action::Errno(1);
    for arch in multiplexing() {
        let audit = arch.audit_arch();
        let socketcall = nr(arch, "socketcall");
        let ipc = nr(arch, "ipc");
        let bpf = build(
            "socket => errno(EPERM); shmget => errno(EPERM); default => allow;",
            arch,
        );
        let call = |nr: u32, arg0: u64| run(&bpf, arch, audit, nr, [arg0, 0, 0, 0, 0, 0]);
        assert_eq!(call(nr(arch, "socket"), 2), eperm, "{arch}");
        // socketcall(SYS_SOCKET, …): the kernel reads `call` as an int.
        assert_eq!(call(socketcall, 1), eperm, "{arch}");
        assert_eq!(call(socketcall, garbage_above(arch, 1)), eperm, "{arch}");
        for other in [0u32, 2, 14, 20, 0x1_0001] {
            assert_eq!(
                call(socketcall, u64::from(other)),
                Action::Allow,
                "{arch} {other}"
            );
        }
        // ipc(SHMGET): the low 16 bits select the operation, the rest is a version —
        // except on s390, whose ipc refuses every version but 0 (EINVAL).
        assert_eq!(call(nr(arch, "shmget"), 0), eperm, "{arch}");
        assert_eq!(call(ipc, 23), eperm, "{arch}");
        assert_eq!(call(ipc, garbage_above(arch, 23)), eperm, "{arch}");
        let versioned = call(ipc, 0x1_0017);
        if matches!(arch, Arch::S390 | Arch::S390x) {
            assert_eq!(versioned, Action::Allow, "{arch}");
        } else {
            assert_eq!(versioned, eperm, "{arch}");
            assert_eq!(call(ipc, 0xffff_0017), eperm, "{arch}");
        }
        assert_eq!(call(ipc, 22), Action::Allow, "{arch}");
        // In an allowlist, an allowed direct call is allowed through the multiplexer
        // too, and nothing else is.
        let bpf = build("socket; default => kill;", arch);
        let call = |nr: u32, arg0: u64| run(&bpf, arch, audit, nr, [arg0, 0, 0, 0, 0, 0]);
        assert_eq!(call(socketcall, 1), Action::Allow, "{arch}");
        assert_eq!(call(socketcall, 2), Action::KillProcess, "{arch}");
    }
    // i386 admitted by an x86_64 filter: the same through int 0x80.
    let bpf = build(
        "arch: x86_64, x86; socket => errno(EPERM); default => allow;",
        Arch::X86_64,
    );
    let i386 = Arch::X86.audit_arch();
    assert_eq!(run(&bpf, Arch::X86, i386, 102, [1, 0, 0, 0, 0, 0]), eperm);
    assert_eq!(run(&bpf, Arch::X86, i386, 359, [2, 0, 0, 0, 0, 0]), eperm);
    assert_eq!(
        run(&bpf, Arch::X86, i386, 102, [3, 0, 0, 0, 0, 0]),
        Action::Allow
    );
    assert_eq!(
        run(&bpf, Arch::X86_64, X86_64, 41, [2, 0, 0, 0, 0, 0]),
        eperm
    );
}

#[test]
fn the_multiplexers_own_rules_are_kept_and_never_contradicted() {
    for arch in multiplexing() {
        let audit = arch.audit_arch();
        let socketcall = nr(arch, "socketcall");
        // Denying the multiplexer (libc falls back to the direct calls) stays as written.
        let bpf = build(
            "socketcall => errno(ENOSYS); socket; connect => errno(EPERM); default => kill;",
            arch,
        );
        let enosys = Action::Errno(arch.errno("ENOSYS").expect("ENOSYS"));
        for call in [1, 3, 5] {
            assert_eq!(
                run(&bpf, arch, audit, socketcall, [call, 0, 0, 0, 0, 0]),
                enosys,
                "{arch}"
            );
        }
        assert_eq!(
            run(&bpf, arch, audit, nr(arch, "socket"), [0; 6]),
            Action::Allow
        );
        // A multiplexer that lets the call through while the direct call is denied
        // is a contradiction, reported at the direct rule.
        for src in [
            "socketcall; socket => errno(EPERM); default => kill;",
            "socketcall: call == 1 => allow; socket => errno(EPERM); default => kill;",
            "socketcall: args == 0 => allow; socket => kill; default => errno(EPERM);",
        ] {
            let e = errors(src, arch);
            assert!(
                e[0].contains("`socket` is denied here")
                    && e[0].contains("SYS_SOCKET")
                    && e[0].contains("`socketcall: call == 1 => "),
                "{arch}: {src}: {e:?}"
            );
        }
    }
}

#[test]
fn operations_only_the_multiplexer_makes_follow_their_optional_rules() {
    // x86 has no direct accept, send, recv or semop: socketcall and ipc make them.
    let eperm = Action::Errno(1);
    for arch in multiplexing() {
        let bpf = build(
            "accept? => errno(EPERM); send? => errno(EPERM); semop? => errno(EPERM); default => allow;",
            arch,
        );
        let audit = arch.audit_arch();
        let call =
            |name: &str, arg0: u64| run(&bpf, arch, audit, nr(arch, name), [arg0, 0, 0, 0, 0, 0]);
        for (sub, direct) in [(5, "accept"), (9, "send")] {
            assert_eq!(call("socketcall", sub), eperm, "{arch} {direct}");
            if arch.syscall(direct).is_some() {
                assert_eq!(call(direct, 0), eperm, "{arch} {direct}");
            }
        }
        assert_eq!(call("socketcall", 10), Action::Allow, "{arch}");
        assert_eq!(call("ipc", 1), eperm, "{arch}");
        assert_eq!(call("ipc", 2), Action::Allow, "{arch}");
        // Their arguments cannot be checked where only the multiplexer makes them.
        let src = "accept?: fd == 3 => errno(EPERM); default => allow;";
        if arch.syscall("accept").is_some() {
            continue;
        }
        let e = errors(src, arch);
        assert!(
            e[0].contains("leaves a bypass") && e[0].contains("SYS_ACCEPT"),
            "{arch}: {e:?}"
        );
        build(
            "accept?: fd == 3 => errno(EPERM); socketcall: call == 5 => errno(ENOSYS); default => allow;",
            arch,
        );
    }
    build(
        "accept?: fd == 3 => errno(EPERM); default => allow;",
        Arch::X86_64,
    );
}

#[test]
fn argument_checks_are_refused_only_where_the_multiplexer_lets_that_call_through() {
    for arch in multiplexing() {
        // SYS_SETSOCKOPT is denied through the multiplexer, which may make the others.
        let src = "socketcall: call == 14 => errno(EPERM); setsockopt: level == 1 => errno(EACCES); default => allow;";
        let bpf = build(src, arch);
        let audit = arch.audit_arch();
        let socketcall = nr(arch, "socketcall");
        assert_eq!(
            run(&bpf, arch, audit, socketcall, [14, 0, 0, 0, 0, 0]),
            Action::Errno(1)
        );
        assert_eq!(
            run(&bpf, arch, audit, socketcall, [15, 0, 0, 0, 0, 0]),
            Action::Allow
        );
        // … but not SYS_GETSOCKOPT, whose arguments this one checks.
        let e = errors(
            "socketcall: call == 14 => errno(EPERM); getsockopt: level == 1 => errno(EACCES); default => allow;",
            arch,
        );
        assert!(
            e[0].contains("leaves a bypass") && e[0].contains("SYS_GETSOCKOPT"),
            "{arch}: {e:?}"
        );
        // `ipc: call == 2` leaves SEMGET of every other version through, but on s390.
        let src =
            "ipc: call == 2 => errno(EPERM); semget: key == 5 => errno(EACCES); default => allow;";
        if matches!(arch, Arch::S390 | Arch::S390x) {
            build(src, arch);
        } else {
            let e = errors(src, arch);
            assert!(
                e[0].contains("leaves a bypass") && e[0].contains("SEMGET"),
                "{arch}: {e:?}"
            );
            build(
                "ipc: call & 0xffff == 2 => errno(EPERM); semget: key == 5 => errno(EACCES); default => allow;",
                arch,
            );
        }
        // A call number only rustc knows cannot be checked here.
        let e = errors(
            "socketcall: call == libc::SYS_SETSOCKOPT => errno(EPERM); setsockopt: level == 1 => errno(EACCES); default => allow;",
            arch,
        );
        assert!(e[0].contains("leaves a bypass"), "{arch}: {e:?}");
    }
}

/// OpenSSH's pre-authentication sandbox for i386 (openssh-portable,
/// sandbox-seccomp-filter.c, `preauth_insns`), rule for rule: each `#ifdef __NR_x`
/// is `x?`, and its constants are i386's. One part is left out: on i386 `mmap` is
/// `old_mmap`, whose one argument is a pointer, and OpenSSH's tests of its
/// `args[2]`/`args[3]` read registers that call does not use (glibc maps with
/// `mmap2`), so here it is killed by the default.
const OPENSSH_PREAUTH_I386: &str = "
    lstat? => errno(EACCES); lstat64? => errno(EACCES); fstat? => errno(EACCES);
    fstat64? => errno(EACCES); fstatat64? => errno(EACCES); open? => errno(EACCES);
    openat => errno(EACCES); newfstatat? => errno(EACCES); stat? => errno(EACCES);
    stat64? => errno(EACCES);
    brk; clock_gettime?; clock_gettime64?; close; exit; exit_group;
    futex?: op & -385 in [0, 9, 1, 10, 3, 4];
    futex_time64?: op & -385 in [0, 9, 1, 10, 3, 4];
    geteuid?; geteuid32?; getpgid; getpid; getrandom; gettid; gettimeofday?; getuid?;
    getuid32?;
    madvise: behavior in [0, 8, 4, 10, 16, 18];
    madvise => errno(EINVAL);
    mmap2?: flags & 0xffefffcd != 0 => errno(EINVAL);
    mmap2?: prot & 0xfffffffc == 0;
    mprotect: prot & 0xfffffffc == 0;
    mremap; munmap; nanosleep?; clock_nanosleep?; clock_nanosleep_time64?; _newselect?;
    ppoll?; ppoll_time64?; poll?; pselect6?; pselect6_time64?; read; select?;
    rt_sigprocmask; sigprocmask?; time?; write; writev; uname?;
";

/// Its socket and IPC part, which compiles on every ABI with multiplexers.
const OPENSSH_PREAUTH_NET: &str = "
    shmget? => errno(EACCES); shmat? => errno(EACCES); shmdt? => errno(EACCES);
    ipc? => errno(EACCES);
    shutdown; getsockopt; getsockname; getpeername;
    setsockopt: level == 41 && optname == 67;
    setsockopt: level == 0 && optname == 1;
    socketcall?: call == 7;
    socketcall?: call == 6;
    socketcall?: call == 15;
    socketcall?: call == 13;
    socketcall? => errno(EACCES);
    default => kill;
";

#[test]
fn openssh_preauth_sandbox_compiles_with_its_meaning() {
    let full = format!("{OPENSSH_PREAUTH_I386}{OPENSSH_PREAUTH_NET}");
    for arch in multiplexing() {
        let src = if arch == Arch::X86 {
            full.as_str()
        } else {
            OPENSSH_PREAUTH_NET
        };
        let bpf = build(src, arch);
        let audit = arch.audit_arch();
        let eacces = Action::Errno(arch.errno("EACCES").expect("EACCES"));
        let call = |name: &str, args: [u64; 6]| run(&bpf, arch, audit, nr(arch, name), args);
        let sc = |arg0: u64| call("socketcall", [arg0, 0, 0, 0, 0, 0]);
        // Through the multiplexer: the four calls it allows, EACCES for the rest —
        // SYS_SETSOCKOPT included, whatever its arguments.
        for allowed in [6u32, 7, 13, 15] {
            assert_eq!(sc(u64::from(allowed)), Action::Allow, "{arch}");
            assert_eq!(sc(garbage_above(arch, allowed)), Action::Allow, "{arch}");
        }
        for denied in [1, 2, 3, 5, 14, 16, 20, 0x1_0007] {
            assert_eq!(sc(denied), eacces, "{arch} {denied}");
        }
        // Directly: IP_TOS and IPV6_TCLASS only.
        assert_eq!(call("setsockopt", [3, 0, 1, 0, 0, 0]), Action::Allow);
        assert_eq!(call("setsockopt", [3, 41, 67, 0, 0, 0]), Action::Allow);
        assert_eq!(
            call("setsockopt", [3, 1, 2, 0, 0, 0]),
            Action::KillProcess,
            "{arch}"
        );
        assert_eq!(call("socket", [2, 1, 0, 0, 0, 0]), Action::KillProcess);
        assert_eq!(call("getsockopt", [3, 1, 2, 0, 0, 0]), Action::Allow);
        // ipc and its direct shm calls: EACCES every way.
        assert_eq!(call("ipc", [23, 0, 0, 0, 0, 0]), eacces);
        assert_eq!(call("ipc", [2, 0, 0, 0, 0, 0]), eacces);
        assert_eq!(call("shmget", [0; 6]), eacces);
    }
    let bpf = build(&full, Arch::X86);
    let call = |name: &str, args: [u64; 6]| {
        run(
            &bpf,
            Arch::X86,
            Arch::X86.audit_arch(),
            nr(Arch::X86, name),
            args,
        )
    };
    assert_eq!(call("madvise", [0, 0, 4, 0, 0, 0]), Action::Allow);
    assert_eq!(call("madvise", [0, 0, 9, 0, 0, 0]), Action::Errno(22));
    // FUTEX_WAIT | FUTEX_PRIVATE_FLAG; FUTEX_LOCK_PI.
    assert_eq!(call("futex", [0, 128, 0, 0, 0, 0]), Action::Allow);
    assert_eq!(call("futex", [0, 6, 0, 0, 0, 0]), Action::KillProcess);
    // mmap2: MAP_SHARED (1) is refused with EINVAL; PROT_EXEC (4) is killed.
    assert_eq!(call("mmap2", [0, 4096, 3, 0x22, 0, 0]), Action::Allow);
    assert_eq!(call("mmap2", [0, 4096, 3, 0x1, 0, 0]), Action::Errno(22));
    assert_eq!(call("mmap2", [0, 4096, 7, 0x22, 0, 0]), Action::KillProcess);
    assert_eq!(call("openat", [0; 6]), Action::Errno(13));
}

/// The mips ABIs, each with the first number of its range.
const MIPS_ABIS: [(Arch, u32); 6] = [
    (Arch::Mips, 4000),
    (Arch::Mipsel, 4000),
    (Arch::Mips64, 5000),
    (Arch::Mipsel64, 5000),
    (Arch::Mips64n32, 6000),
    (Arch::Mipsel64n32, 6000),
];

#[test]
fn other_mips_abis_numbers_take_the_bad_arch_path() {
    // On a 64-bit kernel every task can make o32 (4xxx), n64 (5xxx) and n32 (6xxx)
    // syscalls by number, reported with the task's own AUDIT_ARCH.
    let getpids = [4020, 5038, 6038];
    for (arch, base) in MIPS_ABIS {
        let bpf = build(
            "getpid => errno(EDOM); unknown => errno(ENOSYS); default => allow;",
            arch,
        );
        let audit = arch.audit_arch();
        let edom = Action::Errno(arch.errno("EDOM").expect("EDOM"));
        let enosys = Action::Errno(arch.errno("ENOSYS").expect("ENOSYS"));
        let call = |nr: u32| run(&bpf, arch, audit, nr, [0; 6]);
        for g in getpids {
            let own = (base..base + 1000).contains(&g);
            assert_eq!(nr(arch, "getpid") == g, own, "{arch}");
            let expected = if own { edom } else { Action::KillProcess };
            assert_eq!(call(g), expected, "{arch}: {g}");
        }
        for other in [4000, 4999, 5000, 5999, 6000, 6999] {
            if !(base..base + 1000).contains(&other) {
                assert_eq!(call(other), Action::KillProcess, "{arch}: {other}");
            }
        }
        // The ends of its own range, and numbers of no ABI, are its unknown numbers.
        assert_eq!(call(base + 999), enosys, "{arch}");
        for none in [0, 3999, 7000, 0x4000_0000 | 39, u32::MAX] {
            assert_eq!(call(none), enosys, "{arch}: {none}");
        }
    }
}

#[test]
fn admitted_mips_abis_numbers_are_filtered_by_their_rules_where_the_kernel_shows_their_arguments() {
    let policy = "getpid => errno(EDOM); kill: sig == 9 => errno(EPERM); default => allow;";
    for big in [true, false] {
        let [o32, n64, n32] = if big {
            [Arch::Mips, Arch::Mips64, Arch::Mips64n32]
        } else {
            [Arch::Mipsel, Arch::Mipsel64, Arch::Mipsel64n32]
        };
        let edom = Action::Errno(o32.errno("EDOM").expect("EDOM"));
        // n64 and n32 pass arguments alike: each admitted, each other's numbers get
        // each other's rules, with the task's AUDIT_ARCH.
        for (task, other) in [(n64, n32), (n32, n64)] {
            let bpf = build(&format!("arch: {task}, {other}; {policy}"), task);
            for audit in [task.audit_arch(), other.audit_arch()] {
                for a in [task, other] {
                    assert_eq!(run(&bpf, task, audit, nr(a, "getpid"), [0; 6]), edom);
                    assert_eq!(
                        run(&bpf, task, audit, nr(a, "kill"), [1, 9, 0, 0, 0, 0]),
                        Action::Errno(1)
                    );
                }
                // o32 is not admitted.
                assert_eq!(run(&bpf, task, audit, 4020, [0; 6]), Action::KillProcess);
            }
        }
        // o32 admitted by an n64 filter: o32 tasks are filtered, but o32 numbers from
        // n64 tasks and n64 numbers from o32 tasks are not what the filter sees.
        let bpf = build(&format!("arch: {n64}, {o32}; {policy}"), n64);
        assert_eq!(run(&bpf, n64, o32.audit_arch(), 4020, [0; 6]), edom);
        assert_eq!(run(&bpf, n64, n64.audit_arch(), 5038, [0; 6]), edom);
        assert_eq!(
            run(&bpf, n64, n64.audit_arch(), 4020, [0; 6]),
            Action::KillProcess
        );
        assert_eq!(
            run(&bpf, n64, o32.audit_arch(), 5038, [0; 6]),
            Action::KillProcess
        );
    }
}

#[test]
fn o32_arguments_hold_sign_extended_or_zero_extended() {
    // A 64-bit kernel hands an o32 task's arguments to the filter sign-extended (its
    // registers hold sign-extended 32-bit values; arguments 5 and 6 are read from the
    // user stack as `int`s); a 32-bit kernel zero-extends them.
    let src = "
        kill: pid == -1 => errno(EPERM);
        kill: pid < -100 && sig >= 9 => errno(EACCES);
        write: count > 0x7fffffff => errno(EFBIG);
        write: fd & 0x80000000 != 0 => errno(EBADF);
        mmap2?: pgoff == 0x80000000 => errno(EINVAL);
        mmap2?: fd in [0xffffff9c, 3, 0x80000001] => errno(ENOSYS);
        default => allow;
    ";
    let values: [u32; 9] = [
        0,
        1,
        3,
        9,
        0x7fff_ffff,
        0x8000_0000,
        0x8000_0001,
        0xffff_ff9c,
        0xffff_ffff,
    ];
    for arch in [Arch::Mips, Arch::Mipsel] {
        let bpf = build(src, arch);
        let audit = arch.audit_arch();
        let mut denied = 0;
        for name in ["kill", "write", "mmap2"] {
            for &v in &values {
                for &w in &values {
                    let zero = |x: u32| u64::from(x);
                    let sign = |x: u32| x as i32 as i64 as u64;
                    let args = |e: &dyn Fn(u32) -> u64| [e(v), e(w), e(w), e(v), e(v), e(v)];
                    let z = run(&bpf, arch, audit, nr(arch, name), args(&zero));
                    let s = run(&bpf, arch, audit, nr(arch, name), args(&sign));
                    assert_eq!(z, s, "{arch}: {name}({v:#x}, {w:#x}, …)");
                    if z != Action::Allow {
                        denied += 1;
                    }
                }
            }
        }
        assert!(denied > 20, "{denied}");
        let k = |pid: u32, sig: u32| {
            run(
                &bpf,
                arch,
                audit,
                nr(arch, "kill"),
                [pid as i32 as i64 as u64, u64::from(sig), 0, 0, 0, 0],
            )
        };
        assert_eq!(k(u32::MAX, 0), Action::Errno(1));
        assert_eq!(k(0xffff_ff9c, 9), Action::Allow);
        assert_eq!(k(0xffff_ff9b, 9), Action::Errno(13));
        let w = |fd: u64, count: u64| {
            run(
                &bpf,
                arch,
                audit,
                nr(arch, "write"),
                [fd, 0, count, 0, 0, 0],
            )
        };
        assert_eq!(w(1, 0xffff_ffff_8000_0000), Action::Errno(27));
        assert_eq!(w(1, 0x7fff_ffff), Action::Allow);
        assert_eq!(w(0xffff_ffff_8000_0000, 1), Action::Errno(9));
    }
}

/// `write: fd in [0, 2, …, 2n-2]` (no two values consecutive, which would be one
/// range), and its length (over the limit, as the error says).
fn in_list(n: usize) -> (String, usize, Result<usize, String>) {
    let vals: Vec<String> = (0..n).map(|v| (2 * v).to_string()).collect();
    let src = format!("write: fd in [{}]; default => kill;", vals.join(", "));
    match compile_str(&src, Arch::X86_64) {
        Ok(p) => {
            let len = p.len();
            (src, len, Ok(len))
        }
        Err(e) => {
            let msg = e[0].full_message();
            let len = msg
                .strip_prefix("policy compiles to ")
                .and_then(|r| r.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(usize::MAX);
            (src, len, Err(msg))
        }
    }
}

#[test]
fn exactly_4096_instructions_compile_and_4097_do_not() {
    // The list that compiles to exactly 4096 instructions, and the next one.
    let (mut lo, mut hi) = (1usize, 8000usize);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if in_list(mid).1 <= MAX_INSNS {
            lo = mid
        } else {
            hi = mid - 1
        }
    }
    let (src, len, fits) = in_list(lo);
    assert_eq!(
        (len, fits),
        (MAX_INSNS, Ok(MAX_INSNS)),
        "a policy of exactly 4096 instructions"
    );
    assert_eq!(build(&src, Arch::X86_64).len(), MAX_INSNS);
    let (_, len, over) = in_list(lo + 1);
    assert_eq!(len, MAX_INSNS + 1);
    let msg = over.expect_err("over the limit");
    assert!(
        msg.starts_with(
            "policy compiles to 4097 instructions; the kernel accepts at most 4096 (1 over)"
        ),
        "{msg}"
    );
}

#[test]
fn chains_of_far_branches_share_trampolines() {
    // 3000 tests failing over to the next and succeeding to one of two far returns
    // (alternating, so that the chain is not made a search): one trampoline per
    // target per 255 instructions, not one per test.
    let rules: String = (0..3000)
        .map(|v| format!("write: fd == {v} => errno({});\n", 1 + v % 2))
        .collect();
    let len = build(&format!("{rules}default => kill;"), Arch::X86_64).len();
    assert!(len < 3000 + 2 * 3000 / 200 + 10, "{len}");
}

#[test]
fn far_jumps_go_through_trampolines() {
    // Rules for many syscalls with long argument blocks push returns and blocks far
    // beyond 255 instructions from the dispatch.
    let mut src = String::new();
    // Different values per syscall, or the identical blocks would be shared.
    for (i, name) in [
        "read", "write", "close", "lseek", "dup", "pread64", "pwrite64", "fsync",
    ]
    .iter()
    .enumerate()
    {
        let vals: Vec<String> = (i * 1000..i * 1000 + 180)
            .step_by(2)
            .map(|v| v.to_string())
            .collect();
        src.push_str(&format!(
            "{name}: arg0 in [{}] => errno(5);\n",
            vals.join(", ")
        ));
    }
    src.push_str("default => allow;");
    let bpf = build(&src, Arch::X86_64);
    assert!(bpf.len() > 700);
    assert!(
        bpf.iter().any(|i| i.code == 0x05),
        "expected at least one `ja` trampoline"
    );
    let fsync = nr(Arch::X86_64, "fsync");
    assert_eq!(
        run(&bpf, Arch::X86_64, X86_64, fsync, [7178, 0, 0, 0, 0, 0]),
        Action::Errno(5)
    );
    for between in [7089, 7179, 7180] {
        assert_eq!(
            run(&bpf, Arch::X86_64, X86_64, fsync, [between, 0, 0, 0, 0, 0]),
            Action::Allow
        );
    }
    assert_eq!(
        run(
            &bpf,
            Arch::X86_64,
            X86_64,
            nr(Arch::X86_64, "read"),
            [0, 0, 0, 0, 0, 0]
        ),
        Action::Errno(5)
    );
}

#[test]
fn every_abi_compiles_the_seed_policy_and_rejects_foreign_arches() {
    for &arch in Arch::ALL {
        let bpf = build(
            "read: fd == 0; write: fd == 1; exit_group; default => kill;",
            arch,
        );
        for &other in Arch::ALL {
            if other.audit_arch() != arch.audit_arch() {
                assert_eq!(
                    run(&bpf, arch, other.audit_arch(), nr(arch, "read"), [0; 6]),
                    Action::KillProcess,
                    "{arch} vs {other}"
                );
            }
        }
        assert_eq!(
            run(&bpf, arch, arch.audit_arch(), nr(arch, "read"), [0; 6]),
            Action::Allow,
            "{arch}"
        );
        assert_eq!(
            run(
                &bpf,
                arch,
                arch.audit_arch(),
                nr(arch, "read"),
                [1, 0, 0, 0, 0, 0]
            ),
            Action::KillProcess,
            "{arch}"
        );
    }
}

#[test]
fn every_action_is_encoded_at_the_edges_of_its_data() {
    let cases: &[(&str, u32)] = &[
        ("errno(0)", 0x0005_0000),
        ("errno(4095)", 0x0005_0fff),
        ("trap", 0x0003_0000),
        ("trap(0)", 0x0003_0000),
        ("trap(65535)", 0x0003_ffff),
        ("trace(0)", 0x7ff0_0000),
        ("trace(65535)", 0x7ff0_ffff),
        ("kill", 0x8000_0000),
        ("kill_process", 0x8000_0000),
        ("kill_thread", 0x0000_0000),
        ("log", 0x7ffc_0000),
        ("notify", 0x7fc0_0000),
        ("allow", 0x7fff_0000),
    ];
    let getpid = nr(Arch::X86_64, "getpid");
    for (action, want) in cases {
        let bpf = build(
            &format!("getpid => {action}; default => allow;"),
            Arch::X86_64,
        );
        let d = SeccompData {
            nr: getpid as i32,
            arch: X86_64,
            instruction_pointer: 0,
            args: [0; 6],
        };
        assert_eq!(simulate(&bpf, &d, Endian::Little), Ok(*want), "{action}");
    }
    // Errno names resolve per ABI: ENOSYS is 38 here, 89 on mips, 251 on parisc.
    for (arch, want) in [(Arch::X86_64, 38), (Arch::Mips, 89), (Arch::Parisc, 251)] {
        let bpf = build("getpid => errno(ENOSYS); default => allow;", arch);
        assert_eq!(
            run(&bpf, arch, arch.audit_arch(), nr(arch, "getpid"), [0; 6]),
            Action::Errno(want),
            "{arch}"
        );
    }
}

#[test]
fn the_arch_check_goes_only_where_it_decides_nothing() {
    // Everything dies whatever the ABI: no check to get wrong, one `ret`.
    let bpf = build("default => kill;", Arch::X86_64);
    assert_eq!(bpf.len(), 1);
    for audit in [X86_64, 0x4000_0003 /* i386 */, 0] {
        for n in [0, 59, 0x4000_0000, u32::MAX] {
            assert_eq!(
                run(&bpf, Arch::X86_64, audit, n, [0; 6]),
                Action::KillProcess
            );
        }
    }
    // A policy that never looks at `nr` on its ABI still tells the ABIs apart: an
    // i386 call through `int 0x80` is not one of x86_64's.
    let bpf = build("default => errno(EPERM); bad_arch => kill;", Arch::X86_64);
    assert_eq!(
        run(&bpf, Arch::X86_64, X86_64, 59, [0; 6]),
        Action::Errno(1)
    );
    assert_eq!(
        run(&bpf, Arch::X86_64, 0x4000_0003, 11, [0; 6]),
        Action::KillProcess
    );
    // …and x32 numbers under x86_64's AUDIT_ARCH are x32's, so bad_arch too.
    assert_eq!(
        run(&bpf, Arch::X86_64, X86_64, 0x4000_003b, [0; 6]),
        Action::KillProcess
    );
    // A rule that can never hold leaves its syscall to the default.
    let bpf = build(
        "write: (fd == 1 || count == 5) && (fd == 2 || count == 6) && (fd == 3 || count == 7);\n\
         default => kill;",
        Arch::X86_64,
    );
    assert_eq!(bpf.len(), 1);
}

#[test]
fn long_lists_are_searched_and_decide_every_value_and_its_neighbours() {
    // An ioctl allowlist: 40 commands, then everything else refused.
    let cmds: Vec<u32> = (0..40u32).map(|i| 0x5400 + i * 7 + (i % 3)).collect();
    let list: Vec<String> = cmds.iter().map(u32::to_string).collect();
    let src = format!(
        "ioctl: cmd in [{}]; default => errno(EPERM);",
        list.join(", ")
    );
    let bpf = build(&src, Arch::X86_64);
    let ioctl = nr(Arch::X86_64, "ioctl");
    let mut worst = 0;
    for &c in &cmds {
        for (v, allowed) in [
            (c, true),
            (c + 1, cmds.contains(&(c + 1))),
            (c - 1, cmds.contains(&(c - 1))),
        ] {
            // `cmd` is an unsigned int: a high word of garbage changes nothing.
            for hi in [0u64, 0xdead_beef] {
                let want = if allowed {
                    Action::Allow
                } else {
                    Action::Errno(1)
                };
                let args = [0, (hi << 32) | u64::from(v), 0, 0, 0, 0];
                assert_eq!(
                    run(&bpf, Arch::X86_64, X86_64, ioctl, args),
                    want,
                    "cmd {v:#x}"
                );
            }
            let d = SeccompData {
                nr: ioctl as i32,
                arch: X86_64,
                instruction_pointer: 0,
                args: [0, u64::from(v), 0, 0, 0, 0],
            };
            worst = worst.max(
                seccomp_bpf::simulate_counted(&bpf, &d, Endian::Little)
                    .expect("runs")
                    .1,
            );
        }
    }
    // A chain would run all 40 `jeq` for a refused command; the search runs at most
    // ⌈log₂ 10⌉ = 4 `jge` and 4 `jeq`, after the dispatch.
    assert!(worst <= 22, "{worst} instructions");
}

/// mips o32 numbers 4059 and 4109 reach `sys_olduname` and `sys_uname`, though the
/// kernel's table calls them `unused59`/`unused109`: a policy names them as other
/// ABIs do (`oldolduname`, `olduname`) and denies them; no number that reaches a
/// real function on any ABI is left without a name.
#[test]
fn mips_o32_old_uname_numbers_have_their_real_names() {
    for arch in [Arch::Mips, Arch::Mipsel] {
        let bpf = build(
            "olduname => errno(EPERM); oldolduname => errno(EDOM); default => allow;",
            arch,
        );
        let audit = arch.audit_arch();
        assert_eq!(nr(arch, "olduname"), 4109);
        assert_eq!(nr(arch, "oldolduname"), 4059);
        assert!(matches!(
            run(&bpf, arch, audit, 4109, [0; 6]),
            Action::Errno(_)
        ));
        assert!(matches!(
            run(&bpf, arch, audit, 4059, [0; 6]),
            Action::Errno(_)
        ));
    }
    for &arch in Arch::ALL {
        for sc in arch.table().syscalls {
            assert!(
                !sc.name.starts_with("unused") && !sc.name.starts_with("reserved"),
                "{arch}: {} ({}) has a placeholder name",
                sc.name,
                sc.nr
            );
        }
    }
}

/// No input exhausts the compiler's stack (nor rustc's, which runs the macro): long
/// `||` and `&&` chains compile, deep nesting is an error with a message.
#[test]
fn deep_and_long_conditions_never_overflow_the_stack() {
    // In a thread with a small stack, as a proc macro may have.
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let terms: Vec<String> = (0..3000).map(|i| format!("fd == {i}")).collect();
            let bpf = build(
                &format!(
                    "write: {} => errno(EPERM); default => allow;",
                    terms.join(" || ")
                ),
                Arch::X86_64,
            );
            let write = nr(Arch::X86_64, "write");
            assert!(matches!(
                run(&bpf, Arch::X86_64, X86_64, write, [2999, 0, 0, 0, 0, 0]),
                Action::Errno(_)
            ));
            assert_eq!(
                run(&bpf, Arch::X86_64, X86_64, write, [3000, 0, 0, 0, 0, 0]),
                Action::Allow
            );
            let ands: Vec<String> = (0..3000).map(|i| format!("fd != {i}")).collect();
            build(&format!("write: {};", ands.join(" && ")), Arch::X86_64);
            let nots = format!("write: {}fd == 1; default => allow;", "!".repeat(5000));
            assert!(errors(&nots, Arch::X86_64)[0].contains("nests more than"));
            let parens = format!(
                "write: {}fd == 1{}; default => allow;",
                "(".repeat(10_000),
                ")".repeat(10_000)
            );
            assert!(errors(&parens, Arch::X86_64)[0].contains("nest more than"));
            let ok = format!("write: {}fd == 1{};", "(".repeat(60), ")".repeat(60));
            build(&ok, Arch::X86_64);
        })
        .expect("thread")
        .join()
        .expect("no overflow");
}

/// `name?` leaves a rule out on the ABIs that lack the syscall; a name that no ABI
/// has is a typo, and leaving it out everywhere would turn a deny rule into nothing
/// (`opnat? => errno(EPERM); default => allow;` allowed every `openat`).
#[test]
fn an_optional_name_that_no_abi_has_is_an_error() {
    for &arch in Arch::ALL {
        let e = errors("opnat? => errno(EPERM); default => allow;", arch);
        assert!(e[0].contains("unknown syscall `opnat`"), "{arch}: {e:?}");
        assert!(e[0].contains("did you mean `openat`?"), "{arch}: {e:?}");
    }
    // The suggestion comes from every ABI's names, not only the target's.
    let e = errors("mmmap2? => errno(EPERM); default => allow;", Arch::X86_64);
    assert!(e[0].contains("did you mean `mmap2`?"), "{e:?}");
    // A name some ABI has is skipped where it is absent and enforced where present.
    let bpf = build("mmap2? => errno(EPERM); default => allow;", Arch::X86_64);
    assert_eq!(run(&bpf, Arch::X86_64, X86_64, 9, [0; 6]), Action::Allow);
    let bpf = build("mmap2? => errno(EPERM); default => allow;", Arch::X86);
    let audit = Arch::X86.audit_arch();
    assert!(matches!(
        run(&bpf, Arch::X86, audit, nr(Arch::X86, "mmap2"), [0; 6]),
        Action::Errno(_)
    ));
}

/// `seccomp_data.args[]` is in the task's byte order and no kernel runs tasks of both
/// orders: a filter admitting both would read the other order's argument words
/// swapped (`arch: x86_64, s390x` compared s390x's high word as its low one).
#[test]
fn arch_cannot_mix_byte_orders() {
    for &a in Arch::ALL {
        for &b in Arch::ALL {
            if a == b {
                continue;
            }
            let src = format!("arch: {a}, {b}; read: fd == 0; default => kill;");
            if a.is_big_endian() == b.is_big_endian() {
                build(&src, a);
                continue;
            }
            let e = errors(&src, a);
            assert_eq!(e.len(), 1, "{src}: {e:?}");
            let (order_a, order_b) = if a.is_big_endian() {
                ("big-endian", "little-endian")
            } else {
                ("little-endian", "big-endian")
            };
            assert!(
                e[0].contains(&format!("`{b}` is {order_b} but `{a}` is {order_a}")),
                "{src}: {e:?}"
            );
        }
    }
}

/// The kernel lets x86_64's `uretprobe` and `uprobe` through before any filter runs
/// (kernel/seccomp.c, `seccomp_uprobe_exception`): a rule that would deny or check
/// them promises what the kernel does not do.
#[test]
fn rules_on_syscalls_the_kernel_never_filters_are_errors() {
    let uretprobe = nr(Arch::X86_64, "uretprobe");
    let uprobe = nr(Arch::X86_64, "uprobe");
    for src in [
        "uretprobe => kill; default => allow;".to_owned(),
        "uprobe => errno(EPERM); default => allow;".to_owned(),
        "uretprobe => log; default => allow;".to_owned(),
        "uprobe: arg0 == 1; default => kill;".to_owned(),
        format!("{uretprobe} => kill; default => allow;"),
        format!("{uprobe} => trap; default => allow;"),
    ] {
        let e = errors(&src, Arch::X86_64);
        assert!(e[0].contains("the kernel never filters `"), "{src}: {e:?}");
        assert!(e[0].contains("on x86_64"), "{src}: {e:?}");
        // Also when x86_64 is admitted by a filter compiled for another ABI.
        if let Some(rest) = src.strip_prefix("u") {
            let src = format!("arch: x86, x86_64; u{}", rest.replacen(' ', "? ", 1));
            let src = src.replacen(":?", "?:", 1);
            let e = errors(&src, Arch::X86);
            assert!(e[0].contains("the kernel never filters `"), "{src}: {e:?}");
        }
    }
    // Allowing them says what the kernel does anyway.
    build("uretprobe; uprobe; default => kill;", Arch::X86_64);
    // x32's numbers carry bit 30: the kernel filters them like any other.
    let bpf = build("uretprobe => kill; default => allow;", Arch::X32);
    let x32 = nr(Arch::X32, "uretprobe");
    assert_eq!(
        run(&bpf, Arch::X32, X86_64, x32, [0; 6]),
        Action::KillProcess
    );
}

/// A raw number belongs to the admitted ABI whose range holds it: x32's numbers carry
/// bit 30, mips o32's, n64's and n32's start at 4000, 5000 and 6000. It used to be
/// taken as a native number, so `arch: x86_64, x32; 0x40000027 => errno(EPERM);`
/// left the rule out (x86_64 has no such number) and allowed x32's `getpid`.
#[test]
fn a_raw_number_is_a_rule_of_the_abi_that_owns_it_or_an_error() {
    let x32_getpid = nr(Arch::X32, "getpid");
    assert_eq!(x32_getpid, 0x4000_0027);
    for native in [Arch::X86_64, Arch::X86] {
        let src = format!("arch: {native}, x32; 0x40000027 => errno(EPERM); default => allow;");
        let bpf = build(&src, native);
        assert!(
            matches!(
                run(&bpf, Arch::X32, X86_64, x32_getpid, [0; 6]),
                Action::Errno(_)
            ),
            "{src}"
        );
        // x86_64's getpid (allowed, or `bad_arch` when x86_64 is not admitted).
        assert!(
            !matches!(
                run(&bpf, Arch::X32, X86_64, nr(Arch::X86_64, "getpid"), [0; 6]),
                Action::Errno(_)
            ),
            "{src}"
        );
    }
    // Without x32 admitted the number belongs to no ABI of the filter: an error that
    // says whose it is.
    let e = errors(
        "0x40000027 => errno(EPERM); default => allow;",
        Arch::X86_64,
    );
    assert!(
        e[0].contains("is not a number of `x86_64`") && e[0].contains("`x32` (`getpid` there)"),
        "{e:?}"
    );
    // mips: an o32 number in an n64 filter is an error unless o32 is admitted.
    let o32_getpid = nr(Arch::Mips, "getpid");
    let e = errors(
        &format!("{o32_getpid} => errno(EPERM); default => allow;"),
        Arch::Mips64,
    );
    assert!(e[0].contains("`mips` (`getpid` there)"), "{e:?}");
    let bpf = build(
        &format!("arch: mips64, mips; {o32_getpid} => errno(EPERM); default => allow;"),
        Arch::Mips64,
    );
    assert!(matches!(
        run(
            &bpf,
            Arch::Mips64,
            Arch::Mips.audit_arch(),
            o32_getpid,
            [0; 6]
        ),
        Action::Errno(_)
    ));
    let e = errors("20 => errno(EPERM); default => allow;", Arch::Mips);
    assert!(e[0].contains("run from 0xfa0 to 0x1387"), "{e:?}");
    // Native numbers stay native, also where another admitted ABI has the same one.
    let bpf = build(
        "arch: x86_64, x86; 39 => errno(EPERM); default => allow;",
        Arch::X86_64,
    );
    assert!(matches!(
        run(&bpf, Arch::X86_64, X86_64, 39, [0; 6]),
        Action::Errno(_)
    ));
    assert_eq!(
        run(&bpf, Arch::X86, Arch::X86.audit_arch(), 39, [0; 6]),
        Action::Allow
    );
    // Never dropped: whatever the number, the rule decides that number for an ABI
    // of the filter, or the policy does not compile.
    let numbers = [
        0,
        39,
        0x3fff_ffff,
        0x4000_0000,
        0x4000_0027,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_fffe,
        0xffff_ffff,
        4020,
        5038,
        6038,
    ];
    for (native, set) in [
        (Arch::X86_64, "x86_64"),
        (Arch::X86_64, "x86_64, x32"),
        (Arch::X86_64, "x86_64, x86, x32"),
        (Arch::X86, "x86, x32"),
        (Arch::X32, "x32, x86_64"),
        (Arch::Mips64, "mips64, mips, mips64n32"),
        (Arch::Mipsel64n32, "mipsel64n32, mipsel"),
        (Arch::Aarch64, "aarch64, arm"),
    ] {
        for n in numbers {
            let src = format!("arch: {set}; {n} => errno(EPERM); default => allow;");
            let Ok(p) = compile_str(&src, native) else {
                continue;
            };
            let bpf = p.to_sock_filters().expect("no symbols");
            let admitted: Vec<Arch> = set
                .split(", ")
                .map(|a| Arch::from_name(a).unwrap())
                .collect();
            assert!(
                admitted.iter().any(|&a| matches!(
                    run(&bpf, native, a.audit_arch(), n, [0; 6]),
                    Action::Errno(_)
                )),
                "{src} compiles for {native} but no ABI denies {n:#x}"
            );
        }
    }
}

/// libseccomp's masked comparison masks the value too: `(x & m) == (v & m)`. Here
/// `x & m == v` compares with `v` itself, so a value with bits outside the mask makes
/// a rule that can never match — a deny rule ported from libseccomp silently let
/// every call through. Such a comparison is an error proposing `v & m`; so are `!=`
/// (always true) and orderings the mask decides.
#[test]
fn masked_comparisons_the_mask_decides_are_errors() {
    let openat = nr(Arch::X86_64, "openat");
    for (src, says) in [
        (
            "openat: flags & 0xff00 == 1000 => errno(EPERM); default => allow;",
            "can never be true",
        ),
        (
            "openat: flags & 0xff00 != 1000 => errno(EPERM); default => allow;",
            "is always true",
        ),
        (
            "openat: flags & 0xff00 in [0x100, 1000] => errno(EPERM); default => allow;",
            "can never be true",
        ),
        (
            "openat: arg2 & 0xff00 == 1000 => errno(EPERM); default => allow;",
            "can never be true",
        ),
        (
            "openat: flags & 0 == 0 => errno(EPERM); default => allow;",
            "is always true",
        ),
        (
            "openat: flags & 0 != 0 => errno(EPERM); default => allow;",
            "can never be true",
        ),
        (
            "openat: flags & 0xff > 0xff => errno(EPERM); default => allow;",
            "can never be true",
        ),
        (
            "openat: flags & 0xff <= 0xff => errno(EPERM); default => allow;",
            "is always true",
        ),
        (
            "openat: flags & 0xff < 0 => errno(EPERM); default => allow;",
            "can never be true",
        ),
        (
            "openat: flags & 0xff >= 0 => errno(EPERM); default => allow;",
            "is always true",
        ),
        // `dfd` is a signed int: -1 is 0xffffffff, which has bits outside 0xff.
        (
            "openat: dfd & 0xff == -1 => errno(EPERM); default => allow;",
            "can never be true",
        ),
    ] {
        let e = errors(src, Arch::X86_64);
        assert!(e[0].contains(says), "{src}: {e:?}");
    }
    let e = errors(
        "openat: flags & 0xff00 == 1000 => errno(EPERM); default => allow;",
        Arch::X86_64,
    );
    assert!(e[0].contains("did you mean `0x300`"), "{e:?}");
    // What the error proposes means what libseccomp's rule meant.
    let bpf = build(
        "openat: flags & 0xff00 == 0x300 => errno(EPERM); default => allow;",
        Arch::X86_64,
    );
    for (flags, denied) in [
        (1000u64, true),
        (0x3ff, true),
        (0x300, true),
        (0x200, false),
    ] {
        let got = run(&bpf, Arch::X86_64, X86_64, openat, [0, 0, flags, 0, 0, 0]);
        assert_eq!(matches!(got, Action::Errno(_)), denied, "flags {flags:#x}");
    }
    // Comparisons the mask does not decide still compile.
    for src in [
        "openat: flags & 0xff00 == 0 => errno(EPERM); default => allow;",
        "openat: flags & 0xff < 0xff => errno(EPERM); default => allow;",
        "openat: flags & 0xff > 0 => errno(EPERM); default => allow;",
        "openat: dfd & -256 < 0 => errno(EPERM); default => allow;",
    ] {
        build(src, Arch::X86_64);
    }
    // A mask or value wider than the parameter the kernel reads is refused as well:
    // `flags` is an int, and a bit above 31 would never be seen.
    for src in [
        "openat: flags & 0x100000000 == 0 => errno(EPERM); default => allow;",
        "openat: flags & 0xff == 0x100000000 => errno(EPERM); default => allow;",
        "chmod: mode & 0x10000 == 0 => errno(EPERM); default => allow;",
    ] {
        let e = errors(src, Arch::X86_64);
        assert!(e[0].contains("does not fit"), "{src}: {e:?}");
    }
}

/// The man pages' parameter names stand for the kernel's where they differ: the
/// README once said `socket: domain in [1, 2]`, which did not compile (the kernel
/// calls it `family`). Each alias compiles to exactly the program the kernel's name
/// gives, on every ABI, so it can neither miss a call nor check another argument.
#[test]
fn man_page_parameter_names_check_the_kernels_parameter() {
    let socket = nr(Arch::X86_64, "socket");
    let bpf = build(
        "socket: domain in [1, 2] => errno(EAFNOSUPPORT); default => allow;",
        Arch::X86_64,
    );
    for (domain, denied) in [
        (1u64, true),
        (2, true),
        (10, false),
        (0xdead_0000_0001, true),
    ] {
        let got = run(&bpf, Arch::X86_64, X86_64, socket, [domain, 1, 0, 0, 0, 0]);
        assert_eq!(
            matches!(got, Action::Errno(_)),
            denied,
            "domain {domain:#x}"
        );
    }
    let mut compared = 0;
    for &(sc, man, kernel) in seccomp_compiler::aliases::MAN_NAMES {
        for &arch in Arch::ALL {
            let Some(ps) = arch.syscall(sc).and_then(|s| s.params) else {
                continue;
            };
            if !ps.iter().any(|p| p.name == kernel) {
                continue;
            }
            let policy =
                |name: &str| format!("{sc}: {name} == 1 => errno(EPERM); default => kill;");
            let by_kernel = compile_str(&policy(kernel), arch);
            let by_man = compile_str(&policy(man), arch);
            match (by_kernel, by_man) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(
                        a.to_sock_filters().expect("no symbols"),
                        b.to_sock_filters().expect("no symbols"),
                        "{arch}: {sc}'s `{man}` is not `{kernel}`"
                    );
                    compared += 1;
                }
                (Err(a), Err(b)) => assert_eq!(a.len(), b.len(), "{arch}: {sc} `{man}`"),
                (a, b) => panic!(
                    "{arch}: {sc}: `{kernel}` {} but `{man}` {}",
                    if a.is_ok() { "compiles" } else { "does not" },
                    if b.is_ok() { "compiles" } else { "does not" }
                ),
            }
        }
    }
    assert!(compared > 2000, "{compared}");
}
