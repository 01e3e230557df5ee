//! `seccompc` as a user runs it.

use std::path::PathBuf;
use std::process::{Command, Output};

use seccomp_bpf::{Endian, SockFilter, check};
use seccomp_compiler::Arch;

const SEED: &str = "read: fd == 0;\nwrite: fd == 1;\nexit_group;\ndefault => kill;\n";

fn file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("seccompc-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seccompc"))
        .args(args)
        .output()
        .expect("run seccompc")
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// Parses our own json output back.
fn parse_json(text: &str) -> Vec<SockFilter> {
    text.lines()
        .filter(|l| l.contains("\"code\""))
        .map(|l| {
            let num = |key: &str| -> u64 {
                let at = l.find(&format!("\"{key}\":")).unwrap() + key.len() + 3;
                l[at..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
                    .parse()
                    .unwrap()
            };
            SockFilter {
                code: num("code") as u16,
                jt: num("jt") as u8,
                jf: num("jf") as u8,
                k: num("k") as u32,
            }
        })
        .collect()
}

#[test]
fn formats_agree_and_raw_is_in_the_abis_byte_order() {
    let policy = file("seed.policy", SEED);
    let p = policy.to_str().unwrap();
    for (arch, endian) in [("x86_64", Endian::Little), ("s390x", Endian::Big)] {
        let json = parse_json(&stdout(&run(&[
            "compile", p, "--arch", arch, "--format", "json",
        ])));
        check(&json).expect("the kernel accepts it");
        let raw_path = file(&format!("seed.{arch}.bpf"), "");
        stdout(&run(&[
            "compile",
            p,
            "--arch",
            arch,
            "--format",
            "raw",
            "-o",
            raw_path.to_str().unwrap(),
        ]));
        let raw = std::fs::read(&raw_path).unwrap();
        let from_raw: Vec<SockFilter> = raw
            .chunks_exact(8)
            .map(|c| SockFilter::from_bytes(c.try_into().unwrap(), endian))
            .collect();
        assert_eq!(from_raw, json, "{arch}");
        // The arch check's constant, as the ABI stores it.
        let k = Arch::from_name(arch).unwrap().audit_arch();
        let want = if endian == Endian::Big {
            k.to_be_bytes()
        } else {
            k.to_le_bytes()
        };
        assert_eq!(&raw[12..16], &want, "{arch}");
        let asm = stdout(&run(&["compile", p, "--arch", arch, "--format", "asm"]));
        let disasm = stdout(&run(&[
            "disasm",
            raw_path.to_str().unwrap(),
            "--arch",
            arch,
        ]));
        assert_eq!(asm, disasm, "{arch}");
    }
}

#[test]
fn every_abi_compiles_the_seed_policy_to_json_the_kernel_accepts() {
    let policy = file("seed-all.policy", SEED);
    for arch in Arch::ALL {
        let out = stdout(&run(&[
            "compile",
            policy.to_str().unwrap(),
            "--arch",
            arch.as_str(),
            "--format",
            "json",
        ]));
        let prog = parse_json(&out);
        assert!(prog.len() > 5, "{arch}");
        check(&prog).unwrap_or_else(|e| panic!("{arch}: {e}"));
    }
}

#[test]
fn errors_show_file_line_column_and_the_token() {
    let policy = file(
        "bad.policy",
        "read: fd == 0;\nopnat;\nwrite: flags == 1;\ndefault => kill;\n",
    );
    let out = run(&["compile", policy.to_str().unwrap(), "--format", "asm"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error: unknown syscall `opnat`; did you mean `openat`?"),
        "{err}"
    );
    assert!(
        err.contains("bad.policy:2:1\n  |\n2 | opnat;\n  | ^^^^^"),
        "{err}"
    );
    assert!(err.contains("bad.policy:3:8"), "{err}");
    assert!(
        err.contains("= help: expected one of `fd`, `buf`, `count`"),
        "{err}"
    );
    assert!(err.contains("2 errors"), "{err}");
}

#[test]
fn rust_constants_need_the_macro() {
    let policy = file(
        "const.policy",
        "socket: family == libc::AF_UNIX;\ndefault => kill;\n",
    );
    let out = run(&["compile", policy.to_str().unwrap(), "--format", "asm"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Rust constants can only be evaluated by the `seccomp!` macro"),
        "{err}"
    );
    assert!(err.contains("const.policy:1:25"), "{err}");
}

#[test]
fn unknown_abis_are_listed() {
    let policy = file("seed-abi.policy", SEED);
    let out = run(&["compile", policy.to_str().unwrap(), "--arch", "amd64"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown ABI `amd64`")
            && err.contains("x86_64")
            && err.contains("mipsel64n32"),
        "{err}"
    );
}

#[test]
fn simulate_reports_the_action_the_kernel_would_take() {
    let policy = file("seed-sim.policy", SEED);
    let p = policy.to_str().unwrap();
    let sim = |extra: &[&str]| {
        let mut args = vec!["simulate", p];
        args.extend_from_slice(extra);
        stdout(&run(&args))
    };
    assert!(sim(&["--nr", "write", "--arg0", "1"]).starts_with("allow\n"));
    // Garbage above a 32-bit fd is ignored, as the kernel ignores it.
    assert!(sim(&["--nr", "write", "--arg0", "0xffffffff00000001"]).starts_with("allow\n"));
    assert!(sim(&["--nr", "write", "--arg0", "2"]).starts_with("kill_process\n"));
    assert!(sim(&["--nr", "getpid"]).starts_with("kill_process\n"));
    let exit = sim(&["--nr", "exit_group"]);
    assert!(
        exit.starts_with("allow\n") && exit.contains("always allowed"),
        "{exit}"
    );
    assert!(sim(&["--nr", "read", "--audit-arch", "0x40000003"]).starts_with("kill_process\n"));
}

#[test]
fn stats_count_instructions_and_the_action_cache() {
    let policy = file("seed-stats.policy", SEED);
    let out = stdout(&run(&["stats", policy.to_str().unwrap()]));
    assert!(out.contains("length: 13 instructions"), "{out}");
    assert!(out.contains("action cache: 1 of the"), "{out}");
}

#[test]
fn disasm_refuses_a_truncated_file() {
    let f = file("short.bpf", "1234567");
    let out = run(&["disasm", f.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a whole number of 8-byte instructions")
    );
}
