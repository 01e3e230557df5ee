//! `seccompc` as a user runs it: the built binary on policy files in a temp dir.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use seccomp_bpf::disasm::Disasm;
use seccomp_bpf::{Endian, SockFilter, check};
use seccomp_compiler::Arch;

const SEED: &str = "read: fd == 0;\nwrite: fd == 1;\nexit_group;\ndefault => kill;\n";

/// A directory of its own for each test; `seccompc` runs in it, so file names
/// in its messages are the short ones the test wrote.
struct Dir(PathBuf);

impl Dir {
    fn new(test: &str) -> Dir {
        let path = std::env::temp_dir().join(format!("seccompc-cli-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Dir(path)
    }

    fn write<'a>(&self, name: &'a str, contents: impl AsRef<[u8]>) -> &'a str {
        std::fs::write(self.0.join(name), contents).unwrap();
        name
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.0.join(name)).unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_seccompc"))
            .args(args)
            .current_dir(&self.0)
            .stdin(Stdio::null())
            .output()
            .expect("run seccompc")
    }

    /// Runs and requires success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "seccompc {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and requires this exit status; returns stderr.
    fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "seccompc {args:?}:\n{stderr}"
        );
        stderr
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Reads `compile --format json` output back.
fn parse_json(text: &str) -> Vec<SockFilter> {
    let text = text.trim();
    assert!(text.starts_with('[') && text.ends_with(']'), "{text}");
    text[1..text.len() - 1]
        .split('}')
        .filter(|item| item.contains('{'))
        .map(|item| {
            let body = item.trim_start_matches([',', '\n', ' ', '{']);
            let mut fields = [0u64; 4];
            for (i, (pair, key)) in body.split(',').zip(["code", "jt", "jf", "k"]).enumerate() {
                let (k, v) = pair.split_once(':').unwrap();
                assert_eq!(k.trim(), format!("\"{key}\""), "{item}");
                fields[i] = v.trim().parse().unwrap();
            }
            SockFilter {
                code: u16::try_from(fields[0]).unwrap(),
                jt: u8::try_from(fields[1]).unwrap(),
                jf: u8::try_from(fields[2]).unwrap(),
                k: u32::try_from(fields[3]).unwrap(),
            }
        })
        .collect()
}

fn endian(arch: Arch) -> Endian {
    if arch.is_big_endian() {
        Endian::Big
    } else {
        Endian::Little
    }
}

fn decode(raw: &[u8], e: Endian) -> Vec<SockFilter> {
    assert_eq!(raw.len() % 8, 0);
    raw.chunks_exact(8)
        .map(|c| SockFilter::from_bytes(c.try_into().unwrap(), e))
        .collect()
}

#[test]
fn json_raw_and_asm_agree_and_raw_is_in_the_abis_byte_order() {
    let dir = Dir::new("formats");
    let policy = dir.write("seed.seccomp", SEED);
    for name in ["x86_64", "s390x"] {
        let arch = Arch::from_name(name).unwrap();
        let json = parse_json(&dir.ok(&["compile", policy, "--arch", name, "--format", "json"]));
        check(&json).unwrap_or_else(|e| panic!("{name}: {e}"));

        let raw_file = format!("seed.{name}.bpf");
        let quiet = dir.ok(&[
            "compile", policy, "--arch", name, "--format", "raw", "-o", &raw_file,
        ]);
        assert_eq!(quiet, "");
        let raw = dir.read(&raw_file);
        assert_eq!(raw.len(), json.len() * 8);
        assert_eq!(decode(&raw, endian(arch)), json, "{name}");
        // Raw to a pipe is allowed, and is the same bytes.
        let piped = dir.run(&["compile", policy, "--arch", name, "--format", "raw"]);
        assert!(piped.status.success());
        assert_eq!(piped.stdout, raw);

        // The first instruction is `ld [4]` (code 0x20, k 4), the second compares
        // with the ABI's AUDIT_ARCH: check the bytes themselves.
        let audit = arch.audit_arch();
        if arch.is_big_endian() {
            assert_eq!(raw[..8], [0x00, 0x20, 0, 0, 0, 0, 0, 4]);
            assert_eq!(raw[12..16], audit.to_be_bytes());
        } else {
            assert_eq!(raw[..8], [0x20, 0x00, 0, 0, 4, 0, 0, 0]);
            assert_eq!(raw[12..16], audit.to_le_bytes());
        }

        let asm = dir.ok(&["compile", policy, "--arch", name, "--format", "asm"]);
        assert_eq!(asm, Disasm::new(&json, endian(arch)).to_string(), "{name}");
        // asm is the default format.
        assert_eq!(dir.ok(&["compile", policy, "--arch", name]), asm);
    }
}

#[test]
fn disasm_of_the_raw_output_is_the_asm_output() {
    let dir = Dir::new("roundtrip");
    let policy = dir.write(
        "policy.seccomp",
        "read: fd == 0;\nwrite: fd == 1 || fd == 2;\nopenat: flags & 3 == 0 => errno(EACCES);\n\
         exit_group;\ndefault => kill;\n",
    );
    for name in ["x86_64", "s390x", "mips", "mipsel", "ppc64", "aarch64"] {
        let raw_file = format!("{name}.bpf");
        dir.ok(&[
            "compile", policy, "--arch", name, "--format", "raw", "-o", &raw_file,
        ]);
        let asm = dir.ok(&["compile", policy, "--arch", name, "--format", "asm"]);
        let disasm = dir.ok(&["disasm", &raw_file, "--arch", name]);
        assert_eq!(disasm, asm, "{name}");
    }
}

#[test]
fn disasm_reports_programs_the_kernel_would_refuse() {
    let dir = Dir::new("disasm-refuse");
    // `ld [4]` and no return.
    let no_ret = dir.write(
        "no-ret.bpf",
        SockFilter::stmt(0x20, 4).to_bytes(Endian::Little),
    );
    let out = dir.run(&["disasm", no_ret, "--arch", "x86_64"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ld   [4]"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the kernel would refuse this program: the last instruction is not a return"),
        "{err}"
    );

    // A big-endian program read as little-endian: refused, with a hint.
    let policy = dir.write("seed.seccomp", SEED);
    dir.ok(&[
        "compile",
        policy,
        "--arch",
        "s390x",
        "--format",
        "raw",
        "-o",
        "s390x.bpf",
    ]);
    let err = dir.fails(&["disasm", "s390x.bpf", "--arch", "x86_64"], 1);
    assert!(err.contains("reads correctly as big-endian"), "{err}");

    let short = dir.write("short.bpf", "1234567");
    let err = dir.fails(&["disasm", short, "--arch", "x86_64"], 1);
    assert!(
        err.contains("`short.bpf` is 7 bytes long, which is not a whole number of instructions"),
        "{err}"
    );
}

#[test]
fn errors_show_file_line_column_the_token_and_the_help() {
    let dir = Dir::new("errors");
    let policy = dir.write(
        "policy.seccomp",
        "read: fd == 0;\nopnat;\nwrite: flags == 1;\ndefault => kill;\n",
    );
    let out = dir.run(&["compile", policy, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    let first = "\
error: unknown syscall `opnat`; did you mean `openat`?
  --> policy.seccomp:2:1
  |
2 | opnat;
  | ^^^^^ unknown syscall `opnat`; did you mean `openat`?
";
    let second = "\
error: `flags` is not a parameter of `write`
  --> policy.seccomp:3:8
  |
3 | write: flags == 1;
  |        ^^^^^ `flags` is not a parameter of `write`
  |
  = help: expected one of `fd`, `buf`, `count`
";
    let (a, b) = (err.find(first), err.find(second));
    assert!(a.is_some() && b.is_some() && a < b, "{err}");
    assert!(
        err.ends_with(
            "error: could not compile `policy.seccomp` for x86_64 due to 2 previous errors\n"
        ),
        "{err}"
    );
}

#[test]
fn an_unfinished_policy_is_reported_at_its_end() {
    let dir = Dir::new("eof");
    let policy = dir.write("eof.seccomp", "read: fd == 0;\nwrite: fd ==\n");
    let err = dir.fails(&["compile", policy, "--arch", "x86_64"], 1);
    assert!(err.contains("unexpected end of input"), "{err}");
    assert!(
        err.contains("--> eof.seccomp:2:13\n  |\n2 | write: fd ==\n  |             ^"),
        "{err}"
    );
}

#[test]
fn unknown_abis_are_refused_with_the_list_of_valid_ones() {
    let dir = Dir::new("abi");
    let policy = dir.write("seed.seccomp", SEED);
    let err = dir.fails(&["compile", policy, "--arch", "amd64"], 2);
    assert!(
        err.contains("unknown ABI `amd64`; did you mean `x86_64`?"),
        "{err}"
    );
    for arch in Arch::ALL {
        assert!(err.contains(arch.as_str()), "{arch} missing from:\n{err}");
    }
    let err = dir.fails(&["disasm", "x.bpf", "--arch", "vax"], 2);
    assert!(
        err.contains("unknown ABI `vax`") && err.contains("mipsel64n32"),
        "{err}"
    );
}

#[test]
fn rust_constants_need_the_macro() {
    let dir = Dir::new("const");
    let policy = dir.write(
        "const.seccomp",
        "read: fd == 0;\nsocket: family == libc::AF_UNIX;\nexit_group;\ndefault => kill;\n",
    );
    let err = dir.fails(&["compile", policy, "--arch", "x86_64"], 1);
    assert!(
        err.contains(
            "error: Rust constants can only be evaluated by the `seccomp!` macro; write the number here\n  \
             --> const.seccomp:2:19\n  |\n2 | socket: family == libc::AF_UNIX;\n  |                   ^^^^^^^^^^^^^ "
        ),
        "{err}"
    );
    // Every command compiles first, so every command refuses it.
    let err = dir.fails(&["simulate", policy, "--nr", "socket"], 1);
    assert!(err.contains("const.seccomp:2:19"), "{err}");
}

#[test]
fn runtime_parameters_need_seccomp_rt() {
    let dir = Dir::new("params");
    let policy = dir.write(
        "param.seccomp",
        "write: fd == $log_fd;\nexit_group;\ndefault => kill;\n",
    );
    let err = dir.fails(&["compile", policy, "--arch", "x86_64"], 1);
    assert!(
        err.contains("`$log_fd` is a runtime parameter")
            && err.contains(
                "--> param.seccomp:1:14\n  |\n1 | write: fd == $log_fd;\n  |              ^^^^^^^"
            ),
        "{err}"
    );
}

#[test]
fn simulate_runs_the_seed_policy_as_the_kernel_would() {
    let dir = Dir::new("simulate");
    let policy = dir.write("seed.seccomp", SEED);
    let sim = |extra: &[&str]| {
        let mut args = vec!["simulate", policy, "--arch", "x86_64"];
        args.extend_from_slice(extra);
        dir.ok(&args)
    };
    let action = |extra: &[&str]| sim(extra).lines().next().unwrap().to_owned();

    let write1 = sim(&["--nr", "write", "--arg0", "1"]);
    assert!(write1.starts_with("allow\n"), "{write1}");
    assert!(write1.contains("`write` (nr 1) from x86_64"), "{write1}");
    assert!(write1.contains(" instructions executed\n"), "{write1}");
    assert!(write1.contains("action cache: not cached"), "{write1}");
    assert_eq!(action(&["--nr", "write", "--arg0", "2"]), "kill_process");
    assert_eq!(action(&["--nr", "getpid"]), "kill_process");
    // Numbers, hex and negative values.
    assert_eq!(action(&["--nr", "1", "--arg0", "0x1"]), "allow");
    assert_eq!(action(&["--nr", "1", "--arg0", "-1"]), "kill_process");
    assert_eq!(action(&["--nr", "-1"]), "kill_process");
    // `fd` is an int: the kernel ignores the upper half of the register.
    assert_eq!(
        action(&["--nr", "write", "--arg0", "0xffffffff00000001"]),
        "allow"
    );
    // An i386 call reaching the x86_64 filter is another ABI.
    assert_eq!(
        action(&["--nr", "read", "--audit-arch", "x86"]),
        "kill_process"
    );
    assert_eq!(
        action(&["--nr", "0", "--audit-arch", "40000003"]),
        "kill_process"
    );

    let exit = sim(&["--nr", "exit_group"]);
    assert!(exit.starts_with("allow\n"), "{exit}");
    assert!(exit.contains("action cache: always allowed"), "{exit}");

    let err = dir.fails(&["simulate", policy, "--nr", "wirte"], 1);
    assert!(
        err.contains("unknown syscall `wirte` on x86_64; did you mean `write`?"),
        "{err}"
    );
    let err = dir.fails(
        &["simulate", policy, "--nr", "socketcall", "--arch", "x86_64"],
        1,
    );
    assert!(err.contains("it exists on x86"), "{err}");
}

#[test]
fn simulate_prints_errno_actions_with_the_abis_numbers() {
    let dir = Dir::new("errno");
    let policy = dir.write(
        "errno.seccomp",
        "openat => errno(ENOSYS);\nallow: equivalent_allowed;\ndefault => allow;\n",
    );
    let action = |arch: &str| {
        let out = dir.ok(&["simulate", policy, "--arch", arch, "--nr", "openat"]);
        out.lines().next().unwrap().to_owned()
    };
    assert_eq!(action("x86_64"), "errno(38)");
    assert_eq!(action("mips"), "errno(89)");
    let out = dir.ok(&["simulate", policy, "--arch", "x86_64", "--nr", "getpid"]);
    assert!(
        out.starts_with("allow\n") && out.contains("always allowed"),
        "{out}"
    );
}

#[test]
fn every_abi_compiles_the_seed_policy_to_json_the_kernel_accepts() {
    let dir = Dir::new("every-abi");
    let policy = dir.write("seed.seccomp", SEED);
    let mut compiled = 0;
    for arch in Arch::ALL {
        let name = arch.as_str();
        let has_all = ["read", "write", "exit_group"]
            .iter()
            .all(|s| arch.syscall(s).is_some());
        if !has_all {
            let err = dir.fails(&["compile", policy, "--arch", name, "--format", "json"], 1);
            assert!(err.contains("unknown syscall"), "{name}: {err}");
            continue;
        }
        let prog = parse_json(&dir.ok(&["compile", policy, "--arch", name, "--format", "json"]));
        check(&prog).unwrap_or_else(|e| panic!("{name}: {e}"));
        // It starts by checking the ABI.
        assert_eq!((prog[0].code, prog[0].k), (0x20, 4), "{name}");
        assert_eq!(prog[1].k, arch.audit_arch(), "{name}");
        compiled += 1;
    }
    assert_eq!(
        compiled,
        Arch::ALL.len(),
        "every ABI has read, write and exit_group"
    );
}

#[test]
fn stats_count_instructions_and_the_action_cache() {
    let dir = Dir::new("stats");
    let seed = dir.write("seed.seccomp", SEED);
    let json = parse_json(&dir.ok(&["compile", seed, "--arch", "x86_64", "--format", "json"]));
    let out = dir.ok(&["stats", seed, "--arch", "x86_64"]);
    assert!(
        out.contains(&format!("length: {} instructions\n", json.len())),
        "{out}"
    );
    assert!(out.contains("executed: mean "), "{out}");
    assert!(out.contains("over syscall numbers 0..="), "{out}");
    // exit_group is the only syscall allowed whatever its arguments.
    assert!(
        out.contains("action cache: 1 of the 1 syscalls the policy allows unconditionally"),
        "{out}"
    );

    // A denylist: everything but two syscalls is allowed, and all of it cached.
    let deny = dir.write(
        "deny.seccomp",
        "ptrace => errno(EPERM);\nbpf => kill;\ndefault => allow;\n",
    );
    for name in ["x86_64", "aarch64", "s390x"] {
        let out = dir.ok(&["stats", deny, "--arch", name]);
        let line = out
            .lines()
            .find(|l| l.starts_with("action cache: "))
            .unwrap();
        let words: Vec<&str> = line.split(' ').collect();
        let (cached, allowed) = (words[2], words[5]);
        assert_eq!(cached, allowed, "{name}: {out}");
        let total = Arch::from_name(name).unwrap().table().syscalls.len();
        assert_eq!(
            allowed.parse::<usize>().unwrap(),
            total - 2,
            "{name}: {out}"
        );
        assert!(!out.contains("not cached"), "{name}: {out}");
    }
    // mips kernels have no action cache: nothing is claimed as cached.
    let out = dir.ok(&["stats", deny, "--arch", "mips"]);
    assert!(
        out.contains("action cache: none; kernels running mips have no action cache"),
        "{out}"
    );
}

#[test]
fn simulate_never_calls_a_number_the_kernel_cannot_cache_cached() {
    let dir = Dir::new("simulate-cache");
    let policy = dir.write("allow.seccomp", "default => allow;\n");
    let cache_line = |args: &[&str]| {
        let mut all = vec!["simulate", policy];
        all.extend_from_slice(args);
        let out = dir.ok(&all);
        out.lines()
            .find(|l| l.starts_with("action cache: "))
            .unwrap()
            .to_owned()
    };
    let cached = cache_line(&["--arch", "x86_64", "--nr", "getpid"]);
    assert!(cached.contains("always allowed"), "{cached}");
    for (args, why) in [
        (&["--arch", "x86_64", "--nr", "-1"][..], "holds numbers 0.."),
        (
            &["--arch", "x86_64", "--nr", "100000"][..],
            "holds numbers 0..",
        ),
        (
            &["--arch", "x32", "--nr", "getpid"][..],
            "holds numbers 0..",
        ),
        (
            &[
                "--arch",
                "x86_64",
                "--nr",
                "0x40000027",
                "--audit-arch",
                "x86_64",
            ][..],
            "holds numbers 0..",
        ),
        (
            &["--arch", "mips64", "--nr", "getpid"][..],
            "have no action cache",
        ),
    ] {
        let line = cache_line(args);
        assert!(
            line.contains("not cached") && line.contains(why),
            "{args:?}: {line}"
        );
    }
}

#[test]
fn a_policy_can_come_from_standard_input() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_seccompc"))
        .args(["compile", "-", "--arch", "x86_64", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"getpid;\nopne;\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--> <stdin>:2:1"), "{err}");
}

#[test]
fn help_and_version() {
    let dir = Dir::new("help");
    let help = dir.ok(&["--help"]);
    for word in [
        "compile",
        "disasm",
        "simulate",
        "stats",
        "--arch ABI",
        "mipsel64n32",
        "Exit status",
    ] {
        assert!(help.contains(word), "{word} missing from:\n{help}");
    }
    if cfg!(all(target_arch = "x86_64", target_pointer_width = "64")) {
        assert!(help.contains("default: x86_64, this host's ABI"), "{help}");
    }
    match seccomp_bpf::arch::NATIVE {
        Some(abi) => assert!(
            help.contains(&format!("default: {}, this host's ABI", abi.name)),
            "{help}"
        ),
        None => assert!(help.contains("required: this host's ABI"), "{help}"),
    }
    for command in ["compile", "disasm", "simulate", "stats"] {
        let text = dir.ok(&[command, "--help"]);
        assert!(text.starts_with(&format!("seccompc {command}: ")), "{text}");
        assert!(
            text.contains(&format!("Usage: seccompc {command} ")),
            "{text}"
        );
        assert_eq!(dir.ok(&["help", command]), text);
    }
    assert!(dir.ok(&["compile", "--help"]).contains("--format FORMAT"));
    assert!(
        dir.ok(&["simulate", "--help"])
            .contains("--arg0 V … --arg5 V")
    );
    assert_eq!(
        dir.ok(&["--version"]),
        format!("seccompc {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn command_line_mistakes_exit_with_2() {
    let dir = Dir::new("usage");
    let policy = dir.write("seed.seccomp", SEED);
    let cases: &[(&[&str], &str)] = &[
        (&[], "no command given"),
        (&["frob"], "unknown command `frob`"),
        (&["compile"], "`compile` needs a POLICY_FILE"),
        (
            &["compile", policy, "--nr", "1"],
            "`--nr` is not an option of `compile`",
        ),
        (
            &["compile", policy, "--format", "xml"],
            "unknown format `xml`",
        ),
        (
            &["compile", policy, "--arch", "x86", "--arch=x86_64"],
            "`--arch` is given twice",
        ),
        (&["compile", policy, "extra"], "unexpected argument `extra`"),
        (&["simulate", policy], "`simulate` needs the syscall"),
        (
            &["simulate", policy, "--nr", "1", "--arg6", "1"],
            "`--arg0` to `--arg5`",
        ),
        (
            &[
                "simulate",
                policy,
                "--nr",
                "1",
                "--arg0",
                "0x1_0000_0000_0000_0000",
            ],
            "does not fit 64 bits",
        ),
        (
            &["simulate", policy, "--nr", "1", "--arg0", "one"],
            "is not a number",
        ),
        (
            &["simulate", policy, "--nr", "0x1_0000_0000"],
            "does not fit seccomp_data.nr",
        ),
    ];
    for (args, message) in cases {
        let err = dir.fails(args, 2);
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(
            err.contains("For more information, try `seccompc"),
            "{args:?}: {err}"
        );
    }
    let err = dir.fails(&["compile", "missing.seccomp"], 1);
    assert!(err.contains("cannot read `missing.seccomp`"), "{err}");
}

/// The README's summary of the language is a policy a newcomer copies: it compiles.
#[test]
fn the_readmes_language_summary_compiles() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    let section = readme
        .split("## The language")
        .nth(1)
        .expect("a section on the language");
    let policy = section
        .split("```text\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("its text block");
    assert!(policy.contains("socket:"), "{policy}");
    let d = Dir::new("readme");
    let file = d.write("readme.policy", policy);
    for arch in ["x86_64", "x86"] {
        let o = d.run(&["compile", file, "--arch", arch]);
        assert!(
            o.status.success(),
            "{arch}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn check_compiles_for_every_abi_and_says_which_fail_and_why() {
    let dir = Dir::new("check");
    let portable = dir.write(
        "portable.seccomp",
        "read; write: fd == 1; open?; openat; epoll_wait?; epoll_pwait; exit_group; default => kill;\n",
    );
    let out = dir.ok(&["check", portable]);
    for arch in Arch::ALL {
        assert!(
            out.lines()
                .any(|l| l.starts_with(arch.as_str()) && l.contains(" ok, ")),
            "{arch}: {out}"
        );
    }
    let n = Arch::ALL.len();
    assert!(out.contains(&format!("{n} of {n} ABIs compile")), "{out}");

    // `open` and `epoll_wait` are absent on the newer ABIs: one line each, with the
    // first error at its place and the way out; the exit status says it failed.
    let x86_only = dir.write(
        "x86only.seccomp",
        "read; open; epoll_wait; exit_group; default => kill;\n",
    );
    let o = dir.run(&["check", x86_only]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8(o.stdout).unwrap();
    let line = |abi: &str| {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(abi))
            .unwrap_or_else(|| panic!("{abi}: {out}"))
            .to_owned()
    };
    assert!(line("x86_64").contains(" ok, "), "{out}");
    let aarch64 = line("aarch64");
    assert!(
        aarch64.contains("x86only.seccomp:1:7: syscall `open` does not exist on aarch64")
            && aarch64.contains("write `open?`")
            && aarch64.contains("(and 1 more)"),
        "{aarch64}"
    );
    assert!(line("riscv64").contains("error: "), "{out}");
    // One ABI only.
    let one = dir.ok(&["check", x86_only, "--arch", "x86_64"]);
    assert_eq!(one.lines().count(), 1, "{one}");
    let o = dir.run(&["check", x86_only, "--arch", "loongarch64"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn groups_lists_systemds_and_the_projects_groups_and_their_members_per_abi() {
    let dir = Dir::new("groups");
    let all = dir.ok(&["groups", "--arch", "x86_64"]);
    for name in [
        "@system-service",
        "@basic-io",
        "@file-system",
        "@known",
        "@rust_runtime",
        "@memory",
    ] {
        assert!(
            all.lines().any(|l| l.trim_start().starts_with(name)),
            "{name}: {all}"
        );
    }
    // `_` and `-` alike, with or without `@`; absent members are listed apart.
    let basic = dir.ok(&["groups", "@basic_io", "--arch", "aarch64"]);
    assert!(basic.starts_with("@basic-io: Basic IO\n"), "{basic}");
    assert!(
        basic.contains("\n  read\n") && basic.contains("\n  close_range\n"),
        "{basic}"
    );
    assert!(
        basic.contains("absent on aarch64, skipped there (2): _llseek, dup2"),
        "{basic}"
    );
    let x86 = dir.ok(&["groups", "basic-io", "--arch", "x86"]);
    assert!(
        x86.contains("\n  _llseek\n") && !x86.contains("absent"),
        "{x86}"
    );
    let err = dir.fails(&["groups", "system-servis"], 1);
    assert!(
        err.contains("unknown group `@system-servis`; did you mean `@system-service`?"),
        "{err}"
    );
}

/// Without `--arch`, seccompc compiles for the ABI the generated description calls
/// native, the one whose `AUDIT_ARCH` the runtime built for this host uses.
#[test]
fn the_default_abi_is_the_native_one_of_the_shared_description() {
    let Some(native) = seccomp_bpf::arch::NATIVE else {
        return;
    };
    let dir = Dir::new("native");
    let policy = dir.write(
        "allow.seccomp",
        "getpid => errno(EPERM);\ndefault => allow;\n",
    );
    let default = dir.ok(&["compile", policy, "--format", "json"]);
    assert_eq!(
        default,
        dir.ok(&["compile", policy, "--arch", native.name, "--format", "json"])
    );
    assert!(
        default.contains(&native.audit_arch.to_string()),
        "{} {default}",
        native.audit_arch
    );
}

#[test]
fn seccompc_refuses_a_linted_policy_and_accepts_it_when_told() {
    let dir = Dir::new("lints");
    let denylist = dir.write(
        "deny.seccomp",
        "open => errno(EACCES);\ndefault => allow;\n",
    );
    let err = dir.fails(&["compile", denylist, "--arch", "x86_64"], 1);
    assert!(
        err.contains("`open` is denied but `openat` passes")
            && err.contains("--> deny.seccomp:1:1")
            && err.contains("write `allow: equivalent_allowed;`"),
        "{err}"
    );
    let accepted = dir.write(
        "accepted.seccomp",
        "allow: equivalent_allowed;\nopen => errno(EACCES);\ndefault => allow;\n",
    );
    dir.ok(&["compile", accepted, "--arch", "x86_64"]);
    let err = dir.fails(
        &[
            "compile",
            dir.write("typo.seccomp", "allow: no_exti;\ndefault => allow;\n"),
            "--arch",
            "x86_64",
        ],
        1,
    );
    assert!(
        err.contains("unknown lint `no_exti`") && err.contains("did you mean `no_exit`?"),
        "{err}"
    );
}
