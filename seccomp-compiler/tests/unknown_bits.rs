//! Flag parameters whose unknown bits the kernel ignores (`xtask/data/unknown-bits.tsv`),
//! from the attacker's side: a rule an unknown bit could get a call past does not
//! compile; its masked form does, and holds whatever else is set.

use seccomp_bpf::ret::Action;
use seccomp_bpf::{SeccompData, check, simulate};
use seccomp_compiler::generated::unknown_bits::UNKNOWN_BITS;
use seccomp_compiler::{Arch, compile_str};

fn error(src: &str, arch: Arch) -> Option<String> {
    compile_str(src, arch).err().map(|e| {
        e.iter()
            .map(|d| d.full_message())
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn decide(src: &str, arch: Arch, name: &str, i: usize, value: u64) -> Action {
    let p =
        compile_str(src, arch).unwrap_or_else(|e| panic!("{arch} {src}: {}", e[0].full_message()));
    let bpf = p.to_sock_filters().expect("no symbols");
    check(&bpf).expect("loads");
    let sc = arch.syscall(name).expect("exists");
    let mut args = [0u64; 6];
    args[i] = value;
    let d = SeccompData {
        nr: sc.nr as i32,
        arch: arch.audit_arch(),
        instruction_pointer: 0,
        args,
    };
    Action::from_ret(simulate(&bpf, &d, arch.endian()).expect("runs"))
}

#[test]
fn every_listed_flag_parameter_refuses_an_escapable_comparison_and_takes_a_masked_one() {
    let mut checked = 0;
    for &arch in Arch::ALL {
        for u in UNKNOWN_BITS.iter().filter(|u| u.abi == arch.as_str()) {
            let sc = arch.syscall(u.syscall).expect("listed syscall exists");
            let i = sc
                .params
                .expect("named")
                .iter()
                .position(|p| p.name == u.param)
                .expect("listed parameter exists");
            let (name, p) = (u.syscall, u.param);
            // Deny rules that a set unknown bit makes miss: ==, in, <=, and != under `!`.
            for rule in [
                format!("{p} == 1 => errno(EPERM)"),
                format!("{p} in [1, 2] => kill"),
                format!("{p} <= 1 => errno(EPERM)"),
                format!("!({p} != 1) => trap"),
                // Allow rules that a set unknown bit makes match.
                format!("{p} != 1"),
                format!("{p} > 1 => log"),
                format!("!({p} == 1) => allow"),
            ] {
                let src = format!("{name}: {rule}; default => kill;");
                let e = error(&src, arch).unwrap_or_else(|| panic!("{arch}: `{src}` compiles"));
                assert!(e.contains("can be evaded"), "{arch}: {e}");
            }
            // The other polarity is safe: unknown bits only make such rules stricter.
            for rule in [
                format!("{p} == 1"),
                format!("{p} != 1 => errno(EPERM)"),
                format!("!({p} == 1) => kill"),
            ] {
                let src = format!("{name}: {rule}; default => kill;");
                assert_eq!(error(&src, arch), None, "{arch}: {src}");
            }
            // The masked rewrite compiles and holds with an unknown bit set.
            let bit = u.known_value & u.known_value.wrapping_neg();
            let src = format!(
                "{name}: {p} & {:#x} == {bit} => errno(EPERM); default => allow;",
                u.known_value
            );
            assert!(u.known_value & 1 << 30 == 0, "{arch} {name} {p}");
            for v in [bit, bit | 1 << 30] {
                assert!(
                    matches!(decide(&src, arch, name, i, v), Action::Errno(_)),
                    "{arch}: {src} with {v:#x}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
}

#[test]
fn the_masked_form_the_error_proposes_compiles() {
    let e = error(
        "mmap: prot == 4 => errno(EPERM); default => allow;",
        Arch::X86_64,
    )
    .expect("an error");
    let rewrite = e
        .split('`')
        .find(|s| s.starts_with("prot & "))
        .expect("a rewrite");
    assert_eq!(rewrite, "prot & 0x7 == 4");
    let src = format!("mmap: {rewrite} => errno(EPERM); default => allow;");
    let i = 2;
    for v in [4u64, 4 | 1 << 30, 4 | 1 << 40] {
        assert!(matches!(
            decide(&src, Arch::X86_64, "mmap", i, v),
            Action::Errno(_)
        ));
    }
    assert_eq!(decide(&src, Arch::X86_64, "mmap", i, 5), Action::Allow);
}

#[test]
fn where_the_kernel_refuses_unknown_bits_an_exact_comparison_is_fine() {
    // mprotect: arch_validate_prot refuses them; powerpc's mmap too (do_mmap2).
    for (arch, src) in [
        (
            Arch::X86_64,
            "mprotect: prot == 4 => errno(EPERM); default => allow;",
        ),
        (
            Arch::Ppc64le,
            "mmap: prot == 4 => errno(EPERM); default => allow;",
        ),
        (
            Arch::Ppc,
            "mmap2: prot == 4 => errno(EPERM); default => allow;",
        ),
        // clone's 32 effective bits are all CLONE_* flags or the exit signal.
        (
            Arch::X86_64,
            "clone: clone_flags == 17 => errno(EPERM); default => allow;",
        ),
    ] {
        assert_eq!(error(src, arch), None, "{arch}: {src}");
    }
}
