//! `seccompc learn` and `seccompc run` on real programs, in child processes: the
//! test harness itself never has a filter.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SECCOMPC: &str = env!("CARGO_BIN_EXE_seccompc");

/// The environment variable that makes [`workload`] do its work.
const WORKLOAD: &str = "SECCOMPC_LEARN_TEST_WORKLOAD";

struct Dir(PathBuf);

impl Dir {
    fn new(test: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("seccompc-learn-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn seccompc(&self, args: &[&str]) -> Output {
        Command::new(SECCOMPC)
            .args(args)
            .current_dir(&self.0)
            .output()
            .expect("run seccompc")
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[track_caller]
fn assert_ok(what: &str, o: &Output) {
    assert!(
        o.status.success(),
        "{what}: {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        text(&o.stdout),
        text(&o.stderr)
    );
}

/// Whether this kernel lets learn work at all; prints why not otherwise.
fn learn_works(dir: &Dir) -> bool {
    let o = dir.seccompc(&["learn", "-o", "probe.seccomp", "--", "/bin/true"]);
    if o.status.success() {
        return true;
    }
    let err = text(&o.stderr);
    // Only a kernel that lacks what learn needs is a reason to skip.
    assert!(
        err.contains("this kernel"),
        "learn failed for another reason than the kernel: {err}"
    );
    eprintln!("skipped: {err}");
    false
}

/// A program reads a file and writes the result: learned, then run under the
/// policy, and the policy compiles for every ABI.
#[test]
fn a_file_processing_program_runs_under_its_learned_policy() {
    let dir = Dir::new("files");
    if !learn_works(&dir) {
        return;
    }
    std::fs::write(dir.path("in.txt"), "pear\napple\nfig\n").unwrap();
    let o = dir.seccompc(&[
        "learn",
        "-o",
        "sort.seccomp",
        "--",
        "sort",
        "in.txt",
        "-o",
        "out.txt",
    ]);
    assert_ok("learn", &o);
    assert_eq!(
        std::fs::read_to_string(dir.path("out.txt")).unwrap(),
        "apple\nfig\npear\n"
    );
    let err = text(&o.stderr);
    assert!(err.contains("compiles for"), "{err}");
    let policy = std::fs::read_to_string(dir.path("sort.seccomp")).unwrap();
    assert!(
        policy.contains("\nopenat: flags & 3 in [0, 1];"),
        "{policy}"
    );
    assert!(policy.contains("\ndefault => kill;\n"), "{policy}");
    assert!(
        !policy
            .lines()
            .any(|l| l.starts_with(|c: char| c.is_ascii_digit())),
        "{policy}"
    );
    // Every ABI compiles what learn wrote.
    assert_ok("check", &dir.seccompc(&["check", "sort.seccomp"]));
    std::fs::remove_file(dir.path("out.txt")).unwrap();
    let o = dir.seccompc(&[
        "run",
        "sort.seccomp",
        "--",
        "sort",
        "in.txt",
        "-o",
        "out.txt",
    ]);
    assert_ok("run", &o);
    assert_eq!(
        std::fs::read_to_string(dir.path("out.txt")).unwrap(),
        "apple\nfig\npear\n"
    );
    // The policy is not `allow everything`: a shell was never learned.
    let o = dir.seccompc(&["run", "sort.seccomp", "--", "sh", "-c", "echo hi; mkdir d"]);
    assert!(!o.status.success(), "{:?}", o.status);
    assert!(!dir.path("d").exists());
}

/// A shell pipeline: processes (fork, exec, pipes, wait), each followed.
#[test]
fn a_shell_pipeline_is_followed_into_every_child() {
    let dir = Dir::new("pipeline");
    if !learn_works(&dir) {
        return;
    }
    let script = "ls / | wc -l > count.txt";
    let o = dir.seccompc(&["learn", "-o", "sh.seccomp", "--", "sh", "-c", script]);
    assert_ok("learn", &o);
    let count = std::fs::read_to_string(dir.path("count.txt")).unwrap();
    let policy = std::fs::read_to_string(dir.path("sh.seccomp")).unwrap();
    // The children's syscalls were seen: ls reads directories, sh waits.
    for name in ["getdents64", "pipe2", "wait4", "execve"] {
        assert!(policy.contains(&format!("\n{name}")), "{name}: {policy}");
    }
    std::fs::remove_file(dir.path("count.txt")).unwrap();
    assert_ok(
        "run",
        &dir.seccompc(&["run", "sh.seccomp", "--", "sh", "-c", script]),
    );
    assert_eq!(
        std::fs::read_to_string(dir.path("count.txt")).unwrap(),
        count
    );
}

/// The exit status of the command is learn's: codes and signals.
#[test]
fn learn_exits_with_the_commands_status() {
    let dir = Dir::new("status");
    if !learn_works(&dir) {
        return;
    }
    let o = dir.seccompc(&["learn", "-o", "p", "--", "sh", "-c", "exit 7"]);
    assert_eq!(o.status.code(), Some(7), "{}", text(&o.stderr));
    let o = dir.seccompc(&["learn", "-o", "p", "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(o.status.code(), Some(128 + 15), "{}", text(&o.stderr));
    let o = dir.seccompc(&["learn", "-o", "p", "--", "no-such-command-here"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("not found in PATH"),
        "{}",
        text(&o.stderr)
    );
}

fn workload_command(dir: &Dir, mode: &str) -> Vec<String> {
    let exe = std::env::current_exe().unwrap();
    let _ = dir;
    vec![
        "env".to_owned(),
        format!("{WORKLOAD}={mode}"),
        exe.to_str().unwrap().to_owned(),
        "--exact".to_owned(),
        "workload".to_owned(),
        "--nocapture".to_owned(),
        "--test-threads=1".to_owned(),
    ]
}

/// Not a test by itself: the program the tests below learn, when [`WORKLOAD`] is
/// set. It starts threads that write files, joins them, runs a child process,
/// and with `extra` makes one syscall more (`mkdir`).
#[test]
fn workload() {
    let Ok(mode) = std::env::var(WORKLOAD) else {
        return;
    };
    let threads: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                std::fs::write(format!("thread{i}.txt"), format!("{i}\n")).unwrap();
                std::fs::read_to_string(format!("thread{i}.txt")).unwrap()
            })
        })
        .collect();
    let sum: usize = threads.into_iter().map(|t| t.join().unwrap().len()).sum();
    assert_eq!(sum, 8);
    let out = Command::new("/bin/sh")
        .args(["-c", "echo child"])
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"child\n");
    std::fs::write("done.txt", "done\n").unwrap();
    if mode == "extra" {
        std::fs::create_dir("extra-dir").unwrap();
        std::fs::write("after-extra.txt", "").unwrap();
    }
}

fn run_workload(dir: &Dir, args: &[&str], mode: &str) -> Output {
    let mut all: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    all.push("--".to_owned());
    all.extend(workload_command(dir, mode));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    dir.seccompc(&all)
}

/// A multi-threaded program that runs a child process, learned twice (merged):
/// under the policy it runs again; with one syscall more it is stopped there.
#[test]
fn threads_and_a_child_process_then_one_forbidden_syscall() {
    let dir = Dir::new("threads");
    if !learn_works(&dir) {
        return;
    }
    let o = run_workload(&dir, &["learn", "-o", "w.seccomp"], "plain");
    assert_ok("learn", &o);
    assert!(dir.path("done.txt").exists());
    // Thread scheduling varies between runs: a second run, merged, sees more of it.
    let o = run_workload(&dir, &["learn", "--merge", "-o", "w.seccomp"], "plain");
    assert_ok("learn --merge", &o);
    let policy = std::fs::read_to_string(dir.path("w.seccomp")).unwrap();
    assert_eq!(policy.matches("\n// facts run ").count(), 2, "{policy}");
    for name in ["clone3", "wait4", "execve"] {
        assert!(policy.contains(&format!("\n{name}")), "{name}: {policy}");
    }
    assert!(!policy.contains("mkdir"), "{policy}");

    std::fs::remove_file(dir.path("done.txt")).unwrap();
    assert_ok("run", &run_workload(&dir, &["run", "w.seccomp"], "plain"));
    assert!(dir.path("done.txt").exists());

    std::fs::remove_file(dir.path("done.txt")).unwrap();
    let o = run_workload(&dir, &["run", "w.seccomp"], "extra");
    // The workload got to the extra syscall, which killed it (SIGSYS).
    assert!(dir.path("done.txt").exists(), "{}", text(&o.stderr));
    assert_eq!(
        o.status.signal(),
        Some(libc::SIGSYS),
        "{:?}\n{}",
        o.status,
        text(&o.stderr)
    );
    assert!(!dir.path("extra-dir").exists());
    assert!(!dir.path("after-extra.txt").exists());
}

/// `--merge` adds a run's facts to a file's: both programs run under the result,
/// and the counts add up.
#[test]
fn merge_combines_two_runs() {
    let dir = Dir::new("merge");
    if !learn_works(&dir) {
        return;
    }
    std::fs::write(dir.path("in.txt"), "b\na\n").unwrap();
    let first = ["sort", "in.txt", "-o", "out.txt"];
    let second = ["sh", "-c", "cat in.txt > copy.txt"];
    let learn = |merge: bool, cmd: &[&str]| {
        let mut a = vec!["learn", "-o", "m.seccomp"];
        if merge {
            a.push("--merge");
        }
        a.push("--");
        a.extend_from_slice(cmd);
        dir.seccompc(&a)
    };
    assert_ok("learn sort", &learn(false, &first));
    let one = std::fs::read_to_string(dir.path("m.seccomp")).unwrap();
    // Without the shell's run, the shell is not allowed.
    let o = dir.seccompc(&["run", "m.seccomp", "--", second[0], second[1], second[2]]);
    assert!(!o.status.success());
    assert_ok("learn --merge sh", &learn(true, &second));
    let both = std::fs::read_to_string(dir.path("m.seccomp")).unwrap();
    assert!(both.contains("in 2 runs."), "{both}");
    assert!(
        both.contains("// facts run sort in.txt -o out.txt\n"),
        "{both}"
    );
    assert!(
        both.contains("// facts run sh -c cat in.txt > copy.txt\n"),
        "{both}"
    );
    let count = |policy: &str, name: &str| -> u64 {
        let prefix = format!("// facts syscall {name} ");
        policy
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .and_then(|rest| rest.split(' ').next()?.parse().ok())
            .unwrap_or(0)
    };
    assert!(count(&both, "execve") > count(&one, "execve"), "{both}");
    assert!(count(&both, "wait4") > 0, "{both}");
    for cmd in [&first[..], &second[..]] {
        let mut a = vec!["run", "m.seccomp", "--"];
        a.extend_from_slice(cmd);
        assert_ok("run", &dir.seccompc(&a));
    }
    assert_eq!(
        std::fs::read_to_string(dir.path("copy.txt")).unwrap(),
        "b\na\n"
    );
    // A file learn did not write is not merged into.
    std::fs::write(dir.path("hand.seccomp"), "read;\n").unwrap();
    let o = dir.seccompc(&["learn", "--merge", "-o", "hand.seccomp", "--", "/bin/true"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("not written by `seccompc learn`"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn command_line_mistakes() {
    let o = Command::new(SECCOMPC)
        .args(["learn", "sort"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("after `--`"),
        "{}",
        text(&o.stderr)
    );
    let o = Command::new(SECCOMPC)
        .args(["learn", "--"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = Command::new(SECCOMPC)
        .args(["run", "p.seccomp"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = Command::new(SECCOMPC)
        .args(["help", "learn"])
        .output()
        .unwrap();
    assert!(text(&o.stdout).contains("seccompc learn [-o POLICY_FILE] [--merge] -- CMD"));
    let _ = Path::new(SECCOMPC);
}
