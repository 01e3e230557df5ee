//! The real kernel: the seed example, and the three-way cross-check — the policy's
//! meaning, the simulator, and what the kernel does — on the native ABI.

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use seccomp_bpf::ret::Action;
use seccomp_bpf::{Endian, SeccompData, simulate};
use seccomp_compiler::{Arch, compile_resolved, interp, resolve, syntax};
use seccomp_rt::{Filter, seccomp};
use seccomp_tests::{Call, Outcome, child_main, ended, run_in_child, run_scenario, scenario_main};

fn example(name: &str) -> PathBuf {
    // target/<profile>/deps/kernel-HASH → target/<profile>/examples/NAME
    let mut p = std::env::current_exe().expect("test binary");
    p.pop();
    p.pop();
    p.push("examples");
    p.push(name);
    assert!(
        p.exists(),
        "{} is missing: `cargo test` builds the examples first",
        p.display()
    );
    p
}

fn seed(action: &str, stdin: &[u8]) -> std::process::Output {
    let mut child = Command::new(example("seed"))
        .arg(action)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn seed example");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

#[test]
fn seed_policy_lets_stdin_be_read() {
    let out = seed("read", b"ping\n");
    assert!(
        out.status.success(),
        "{:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"ping\n");
}

#[test]
fn seed_policy_lets_stdout_be_written() {
    let out = seed("stdout", b"");
    assert!(out.status.success(), "{:?}", out.status);
    assert_eq!(out.stdout, b"hello from the sandbox\n");
}

#[test]
fn seed_policy_kills_a_write_to_stderr() {
    let out = seed("stderr", b"");
    assert_eq!(out.status.signal(), Some(libc::SIGSYS), "{:?}", out.status);
    assert!(out.stderr.is_empty());
}

#[test]
fn seed_policy_kills_any_other_syscall() {
    let out = seed("getpid", b"");
    assert_eq!(out.status.signal(), Some(libc::SIGSYS), "{:?}", out.status);
    assert!(out.stdout.is_empty());
}

#[test]
fn an_errno_rule_returns_its_errno() {
    let out = seed("eperm-getpid", b"");
    assert!(out.status.success(), "{:?}", out.status);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("getpid failed: errno {}\n", libc::EPERM)
    );
}

/// The entry point of the children of the cross-check and of the scenarios.
#[test]
fn child() {
    child_main();
    scenario_main(&[("exec_where_seccomp_is_denied", exec_where_seccomp_is_denied)]);
}

/// Denies `seccomp(2)` and `prctl(PR_SET_SECCOMP)` with EPERM, then runs an example
/// whose `main` carries `#[seccomp_rt::main]`.
fn exec_where_seccomp_is_denied() {
    static DENY: Filter = seccomp! {
        seccomp => errno(EPERM);
        prctl: option == 22 => errno(EPERM);
        default => allow;
    };
    let path = std::ffi::CString::new(example("tokio_outer").into_os_string().into_encoded_bytes())
        .expect("path");
    let arg = c"ok";
    DENY.install().expect("install");
    let argv = [path.as_ptr(), arg.as_ptr(), std::ptr::null()];
    // SAFETY: NUL-terminated strings and a NULL-terminated argv.
    unsafe { libc::execv(path.as_ptr(), argv.as_ptr()) };
    panic!("execv failed");
}

#[test]
fn the_main_attribute_fails_closed() {
    let o = run_scenario("child", "exec_where_seccomp_is_denied");
    assert_eq!(ended(&o), format!("signal {}", libc::SIGABRT));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("seccomp_rt::main: the seccomp filter was not installed: the kernel refused"),
        "{err}"
    );
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("ok:"),
        "the body ran unprotected"
    );
}

fn tokio_example(name: &str, arg: &str) -> std::process::Output {
    Command::new(example(name))
        .arg(arg)
        .output()
        .expect("spawn example")
}

#[test]
fn the_main_attribute_filters_tokio_workers_in_either_order() {
    for name in ["tokio_outer", "tokio_inner"] {
        let ok = tokio_example(name, "ok");
        assert!(ok.status.success(), "{name}: {}", ended(&ok));
        assert!(
            String::from_utf8_lossy(&ok.stdout).contains("ok: the task ran on tokio-rt-worker"),
            "{name}"
        );
        let killed = tokio_example(name, "worker-getpid");
        assert_eq!(
            killed.status.signal(),
            Some(libc::SIGSYS),
            "{name}: {}",
            ended(&killed)
        );
        let out = String::from_utf8_lossy(&killed.stdout);
        assert!(
            out.contains("tokio-rt-worker: calling getpid") && !out.contains("still alive"),
            "{name}: {out}"
        );
    }
}

/// What the kernel should do, given the action the policy decides.
fn expected(action: Action) -> Option<Outcome> {
    Some(match action {
        Action::KillProcess | Action::KillThread | Action::Trap(_) => Outcome::Signal(libc::SIGSYS),
        Action::Errno(e) => Outcome::Ran(i32::from(e)),
        // A `trace` with no tracer attached fails the syscall with ENOSYS.
        Action::Trace(_) => Outcome::Ran(libc::ENOSYS),
        // Allowed: the syscall's own result, whatever it is (checked below).
        Action::Allow | Action::Log => return None,
        Action::Notify => unreachable!("no notify in these policies"),
    })
}

#[cfg(target_arch = "x86_64")]
#[test]
fn meaning_simulator_and_kernel_agree_on_x86_64() {
    // `lseek(fd, offset, whence)` and `fcntl(fd, cmd, arg)`: harmless in a child
    // whatever the arguments, and typed: `fd`, `whence` and `cmd` are `unsigned int`
    // (low 32 bits), `offset` is `off_t` (all 64 bits, signed), `arg` `unsigned long`.
    // Errnos chosen by the policies are ≥ 100, above any these calls return.
    let policies = [
        "lseek: fd == 7 => errno(101); lseek: offset < -5 => errno(102); lseek: whence & 4 != 0 => errno(103); exit_group; default => kill;",
        "lseek: fd in [3, 4294967295] && offset >= 0x100000000 => errno(110); lseek: !(offset > -1) => trap; lseek: whence > 2 => kill; exit_group; default => allow;",
        "lseek: offset == -1 || offset == 0x7fffffff00000000 => errno(120); lseek: fd & 0xffff0000 == 0 => allow; exit_group; default => errno(121);",
        "fcntl: arg == 0xffffffff00000000 => errno(130); fcntl: cmd < 10 && fd != 7 => allow; fcntl => errno(131); exit_group; default => kill;",
    ];
    let args: &[[u64; 6]] = &[
        [7, 0, 0, 0, 0, 0],
        [0xdead_beef_0000_0007, 0, 0, 0, 0, 0], // garbage above a 32-bit fd
        [100, (-6i64) as u64, 0, 0, 0, 0],
        [100, (-5i64) as u64, 0, 0, 0, 0],
        [100, 0, 4, 0, 0, 0],
        [100, 0, 0xffff_ffff_0000_0003, 0, 0, 0],
        [3, 0x1_0000_0000, 0, 0, 0, 0],
        [0xffff_ffff, 0x1_0000_0001, 1, 0, 0, 0],
        [0x1_0000_0003, 0x1_0000_0000, 1, 0, 0, 0],
        [100, u64::MAX, 0, 0, 0, 0],
        [100, 0x7fff_ffff_0000_0000, 0, 0, 0, 0],
        [0x0001_0000, 5, 0, 0, 0, 0],
        [0xffff_ffff_0000_0000, 5, 9, 0, 0, 0],
        [0, 20, 0, 0, 0, 0],
    ];
    let mut checked = 0;
    for text in policies {
        let resolved = resolve::resolve(&syntax::parse_str(text).expect("parses"), Arch::X86_64)
            .expect("resolves");
        let program = compile_resolved(&resolved)
            .expect("compiles")
            .to_sock_filters()
            .expect("no symbols");
        for &nr in &[libc::SYS_lseek, libc::SYS_fcntl] {
            for a in args {
                let data = SeccompData {
                    nr: nr as i32,
                    arch: Arch::X86_64.audit_arch(),
                    instruction_pointer: 0,
                    args: *a,
                };
                let meaning = interp::evaluate(&resolved, &data).expect("no symbols");
                let simulated =
                    Action::from_ret(simulate(&program, &data, Endian::Little).expect("runs"));
                assert_eq!(simulated, meaning, "{text}\n{data:x?}");
                let kernel = run_in_child("child", &program, &Call { nr, args: *a });
                match expected(meaning) {
                    Some(want) => {
                        assert_eq!(kernel, want, "{text}\n{data:x?}: policy says {meaning}")
                    }
                    None => assert!(
                        matches!(kernel, Outcome::Ran(e) if e < 100),
                        "{text}\n{data:x?}: policy says {meaning}, kernel {kernel:?}"
                    ),
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, policies.len() * 2 * args.len());
}

#[test]
fn a_supervisor_process_answers_for_its_childs_mknodat() {
    let o = Command::new(example("supervisor"))
        .output()
        .expect("spawn supervisor example");
    assert!(
        o.status.success(),
        "{}: {}",
        ended(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(
            "called mknodat(\"/tmp/seccomp-rt-supervisor-demo\"), mode 0o20600; still waiting: true"
        ),
        "{out}"
    );
    assert!(out.contains("child: mknodat returned 0"), "{out}");
    assert!(out.contains("supervisor: child exited with 0"), "{out}");
    // The supervisor answered; the kernel never ran the call.
    assert!(!std::path::Path::new("/tmp/seccomp-rt-supervisor-demo").exists());
}

/// systemd's groups, written with systemd's names (hyphens and all), on the kernel.
static SYSTEMD_GROUPS: Filter = seccomp! {
    @basic-io;
    @process => errno(EACCES);
    @memory;
    exit_group;
    default => errno(EPERM);
};

#[test]
fn systemds_groups_decide_on_the_kernel_as_their_members_say() {
    let program = SYSTEMD_GROUPS.program();
    let run = |nr: i64, args: [u64; 6]| run_in_child("child", program, &Call { nr, args });
    // @basic-io: write and dup are allowed (dup of fd 1: a real, harmless call).
    assert_eq!(run(libc::SYS_dup, [1, 0, 0, 0, 0, 0]), Outcome::Ran(0));
    // @process (systemd's: kill, clone, fork, …, not getpid): its errno.
    assert_eq!(
        run(libc::SYS_kill, [0, 0, 0, 0, 0, 0]),
        Outcome::Ran(libc::EACCES)
    );
    // Not in either group: the default.
    assert_eq!(run(libc::SYS_getpid, [0; 6]), Outcome::Ran(libc::EPERM));
    // The same policy spelt with underscores means the same.
    let underscores = seccomp_compiler::compile_str(
        "@basic_io; @process => errno(EACCES); @memory; exit_group; default => errno(EPERM);",
        Arch::X86_64,
    )
    .expect("compiles")
    .to_sock_filters()
    .expect("no symbols");
    assert_eq!(underscores, program);
}

fn rust_runtime(mode: &str, policy: &str) -> std::process::Output {
    use std::time::{Duration, Instant};
    // No backtrace: printing one reads the binary's debug information (openat,
    // readlink, getcwd), which the groups do not allow.
    let mut child = Command::new(example("rust_runtime"))
        .args([mode, policy])
        .env_remove("RUST_BACKTRACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rust_runtime");
    // Under `default => errno(EPERM)`, an abort or a fault used to spin forever.
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("`rust_runtime {mode} {policy}` hangs");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn rusts_runtime_panics_aborts_faults_and_threads_under_its_groups() {
    // @rust_runtime; @rust_threads; write: fd == 1 || fd == 2; then kill or EPERM.
    for policy in ["kill", "eperm"] {
        let o = rust_runtime("panic", policy);
        assert_eq!(o.status.code(), Some(101), "{policy}: {}", ended(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("panicked at") && err.contains("the message of a panic under the filter"),
            "{policy}: {err}"
        );
        // The thread's id is known (gettid), not -1.
        assert!(!err.contains("18446744073709551615"), "{policy}: {err}");

        let o = rust_runtime("abort", policy);
        assert_eq!(
            o.status.signal(),
            Some(libc::SIGABRT),
            "{policy}: {}",
            ended(&o)
        );

        let o = rust_runtime("segv", policy);
        assert_eq!(
            o.status.signal(),
            Some(libc::SIGSEGV),
            "{policy}: {}",
            ended(&o)
        );

        let o = rust_runtime("threads", policy);
        assert!(o.status.success(), "{policy}: {}", ended(&o));
        // Thread i sums 100 000 copies of i.
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            "threads joined: 2800000\n"
        );
    }
    // @rust_threads allows clone only with CLONE_THREAD: no process can be made.
    let o = rust_runtime("fork", "kill");
    assert_eq!(o.status.signal(), Some(libc::SIGSYS), "{}", ended(&o));
    let o = rust_runtime("fork", "eperm");
    assert_eq!(o.status.code(), Some(3), "{}", ended(&o));
    // Without a filter the same program does make one (the test can fail).
    let o = rust_runtime("fork", "allow");
    assert!(o.status.success(), "{}", ended(&o));
}

#[test]
fn threads_start_under_rust_threads_every_time() {
    // Thread start-up syscalls vary from run to run (which thread maps an arena
    // first, …): 100 runs, each spawning and joining 8 threads.
    for run in 0..100 {
        let o = rust_runtime("threads", "kill");
        assert!(o.status.success(), "run {run}: {}", ended(&o));
    }
}

#[test]
fn a_tokio_runtime_runs_under_the_documented_groups_every_time() {
    // @rust_runtime; @rust_threads; @io-event; brk; write to stdout/stderr;
    // default => kill, with #[seccomp_rt::main] outside #[tokio::main]: workers that
    // already run and threads spawn_blocking starts later are filtered alike.
    for run in 0..100 {
        let o = Command::new(example("tokio_groups"))
            .output()
            .expect("spawn");
        assert!(o.status.success(), "run {run}: {}", ended(&o));
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            "tokio under the groups: 240156000\n",
            "run {run}"
        );
    }
    let o = Command::new(example("tokio_groups"))
        .arg("worker-getuid")
        .output()
        .expect("spawn");
    assert_eq!(o.status.signal(), Some(libc::SIGSYS), "{}", ended(&o));
}
