//! Effective widths from the attacker's side: a parameter declared `long` that the
//! kernel narrows to 32 bits (`xtask/data/effective-widths.tsv`) is compared on the
//! bits the kernel uses, so garbage in the high word of its register neither slips
//! past a deny rule nor trips one — on every ABI with 64-bit registers.

use seccomp_bpf::ret::Action;
use seccomp_bpf::{Endian, SeccompData, SockFilter, check, simulate};
use seccomp_compiler::tables::ParamClass;
use seccomp_compiler::{Arch, compile_str};

const DATA: &str = include_str!("../../xtask/data/effective-widths.tsv");

/// The (syscall, parameter, signed) rows the audit narrows to 32 bits.
fn narrowed() -> Vec<(&'static str, &'static str, bool)> {
    let mut lines = DATA.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let at = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (sc, p, w) = (at("syscall"), at("param"), at("width"));
    lines
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|c| c[w] == "int32" || c[w] == "uint32")
        .map(|c| (c[sc], c[p], c[w] == "int32"))
        .collect()
}

fn build(src: &str, arch: Arch) -> Vec<SockFilter> {
    let p = compile_str(src, arch).unwrap_or_else(|e| panic!("{src}: {}", e[0].full_message()));
    let bpf = p.to_sock_filters().expect("no symbols");
    check(&bpf).expect("the kernel accepts it");
    bpf
}

fn run(bpf: &[SockFilter], arch: Arch, nr: u32, args: [u64; 6]) -> Action {
    let endian = if arch.is_big_endian() {
        Endian::Big
    } else {
        Endian::Little
    };
    let d = SeccompData {
        nr: nr as i32,
        arch: arch.audit_arch(),
        instruction_pointer: 0,
        args,
    };
    Action::from_ret(simulate(bpf, &d, endian).expect("runs"))
}

const GARBAGE: [u64; 4] = [1, 0x8000_0000, 0xdead_beef, 0xffff_ffff];

#[test]
fn narrowed_parameters_are_denied_whatever_their_high_word_on_every_abi() {
    let rows = narrowed();
    assert!(rows.len() >= 20, "{rows:?}");
    let mut checked = Vec::new();
    for &(name, param, signed) in &rows {
        for &arch in Arch::ALL {
            let t = arch.table();
            if t.reg_bits != 64 {
                continue;
            }
            let Some(sc) = arch.syscall(name) else {
                continue;
            };
            let Some(ps) = sc.params else { continue };
            let Some(i) = ps.iter().position(|p| p.name == param) else {
                continue;
            };
            for (rule, hit, miss) in [
                (format!("{param} == 5"), 5u64, 6u64),
                (format!("{param} in [5, 9]"), 9, 8),
                (format!("{param} <= 5"), 5, 6),
            ] {
                let src = format!("{name}: {rule} => errno(EDOM); default => allow;");
                let bpf = build(&src, arch);
                for g in GARBAGE {
                    let mut args = [0u64; 6];
                    args[i] = g << 32 | hit;
                    assert!(
                        matches!(run(&bpf, arch, sc.nr, args), Action::Errno(_)),
                        "{arch}: `{src}` lets {:#x} through",
                        args[i]
                    );
                    // And the high word does not trip the rule either.
                    args[i] = g << 32 | miss;
                    assert_eq!(
                        run(&bpf, arch, sc.nr, args),
                        Action::Allow,
                        "{arch}: `{src}` denies {:#x}",
                        args[i]
                    );
                }
            }
            if signed {
                // pid_t -1 is -1 whatever the register's high word.
                let src = format!("{name}: {param} == -1 => errno(EDOM); default => allow;");
                let bpf = build(&src, arch);
                let mut args = [0u64; 6];
                for v in [0xffff_ffffu64, u64::MAX, 0x1234_5678_ffff_ffff] {
                    args[i] = v;
                    assert!(matches!(run(&bpf, arch, sc.nr, args), Action::Errno(_)));
                }
            }
            let want = if signed {
                ParamClass::Int32
            } else {
                ParamClass::Uint32
            };
            assert_eq!(ps[i].class, want, "{arch} {name} {param}");
            checked.push(format!("{arch} {name} {param}"));
        }
    }
    // The reproductions are among them, on every 64-bit-register ABI.
    for must in [
        "x86_64 clone clone_flags",
        "aarch64 clone clone_flags",
        "s390x clone clone_flags",
        "x86_64 writev fd",
        "x32 writev fd",
        "mips64n32 writev vlen",
        "x86_64 mmap fd",
        "mips64 mmap fd",
        "x86_64 ptrace pid",
        "riscv64 ptrace pid",
        "ppc64le personality personality",
        "mipsel64n32 personality personality",
        "parisc64 fstat64 fd",
        "ppc64 _llseek offset_high",
    ] {
        assert!(checked.iter().any(|c| c == must), "{must} not checked");
    }
    assert!(checked.len() > 150, "{}", checked.len());
}

#[test]
fn a_literal_beyond_32_bits_is_an_error_for_a_narrowed_parameter() {
    // `clone_flags == (1 << 32) | 17` can never be what the kernel sees.
    let e = compile_str(
        "clone: clone_flags == 0x100000011 => errno(EPERM); default => allow;",
        Arch::X86_64,
    )
    .map(|_| ())
    .expect_err("an error");
    assert!(
        e[0].full_message().contains("does not fit"),
        "{}",
        e[0].full_message()
    );
}

#[test]
fn parameters_whose_width_depends_on_another_argument_keep_64_bits() {
    for (name, param) in [
        ("fcntl", "arg"),
        ("ioctl", "arg"),
        ("prctl", "arg2"),
        ("keyctl", "arg3"),
        ("semctl", "arg"),
        ("kcmp", "idx2"),
        ("ptrace", "addr"),
    ] {
        let sc = Arch::X86_64.syscall(name).expect(name);
        let p = sc
            .params
            .expect("names")
            .iter()
            .find(|p| p.name == param)
            .expect(param);
        assert_eq!(p.class, ParamClass::Ulong, "{name} {param}");
        let src = format!("{name}: {param} == 5 => errno(EDOM); default => allow;");
        let bpf = build(&src, Arch::X86_64);
        let i = sc
            .params
            .expect("names")
            .iter()
            .position(|p| p.name == param)
            .expect("index");
        let mut args = [0u64; 6];
        args[i] = 1 << 32 | 5;
        assert_eq!(run(&bpf, Arch::X86_64, sc.nr, args), Action::Allow);
    }
}
