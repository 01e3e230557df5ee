//! Helpers shared by the workspace's cross-crate tests: running a compiled program
//! in a child process on the real kernel.
//!
//! Installing a filter is irreversible, so it never happens in the test harness
//! itself: [`run_in_child`] re-executes the current test binary, the child installs
//! the program, makes one syscall and reports through its exit status.

pub mod libseccomp;

use std::os::unix::process::ExitStatusExt;
use std::process::Command;

use seccomp_bpf::SockFilter;

/// The environment variable that turns a test binary into a child.
pub const CHILD_ENV: &str = "SECCOMP_TESTS_CHILD";

/// What the kernel did with the child's syscall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The syscall ran; its own result (0, or the errno it failed with).
    Ran(i32),
    /// The child died of this signal.
    Signal(i32),
    /// The child could not install the filter (exit status 200 + reason).
    SetupFailed(i32),
}

/// A syscall the child makes after installing `program`.
#[derive(Clone, Debug)]
pub struct Call {
    /// The number.
    pub nr: i64,
    /// The six argument registers.
    pub args: [u64; 6],
}

fn encode(program: &[SockFilter]) -> String {
    program
        .iter()
        .map(|i| format!("{}:{}:{}:{}", i.code, i.jt, i.jf, i.k))
        .collect::<Vec<_>>()
        .join(",")
}

fn decode(s: &str) -> Vec<SockFilter> {
    s.split(',')
        .map(|i| {
            let v: Vec<u64> = i.split(':').map(|x| x.parse().expect("number")).collect();
            SockFilter {
                code: v[0] as u16,
                jt: v[1] as u8,
                jf: v[2] as u8,
                k: v[3] as u32,
            }
        })
        .collect()
}

/// Runs `call` under `program` in a child process: re-executes the current test
/// binary's test named `child_test` (which must call [`child_main`] first thing).
#[must_use]
pub fn run_in_child(child_test: &str, program: &[SockFilter], call: &Call) -> Outcome {
    let args = call
        .args
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let status = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", child_test, "--nocapture", "--test-threads=1"])
        .env(
            CHILD_ENV,
            format!("{};{};{}", encode(program), call.nr, args),
        )
        .stdout(std::process::Stdio::null())
        .status()
        .expect("spawn child");
    match (status.code(), status.signal()) {
        (_, Some(sig)) => Outcome::Signal(sig),
        (Some(c), None) if c >= 200 => Outcome::SetupFailed(c - 200),
        (Some(c), None) => Outcome::Ran(c),
        (None, None) => unreachable!("a process ends with a code or a signal"),
    }
}

/// In a child started by [`run_in_child`]: installs the program, makes the call,
/// and exits with 0 if it returned ≥ 0, with its errno if it failed (the errnos a
/// test policy uses must stay below 200), or with 200 + n if setup failed. Returns
/// at once in a process that is not such a child.
pub fn child_main() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.split(';');
    let program: &'static [SockFilter] = Vec::leak(decode(parts.next().expect("program")));
    let nr: i64 = parts.next().expect("nr").parse().expect("nr");
    let args: Vec<u64> = parts
        .next()
        .expect("args")
        .split(',')
        .map(|a| a.parse().expect("arg"))
        .collect();
    let filter = seccomp_rt::Filter::from_static(program);
    if filter.install().is_err() {
        // SAFETY: ends the process.
        unsafe { libc::_exit(201) }
    }
    // SAFETY: the test chooses harmless syscalls; raw registers are what is tested.
    let r = unsafe { libc::syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]) };
    // SAFETY: reads this thread's errno.
    let errno = unsafe { *libc::__errno_location() };
    let code = if r == -1 { errno.clamp(1, 199) } else { 0 };
    // SAFETY: ends the process with exit_group alone.
    unsafe { libc::_exit(code) }
}

/// The environment variable that selects a scenario in a child test binary.
pub const SCENARIO_ENV: &str = "SECCOMP_TESTS_SCENARIO";

/// Runs `scenario` in a child: re-executes the current test binary's test
/// `child_test`, which must call [`scenario_main`]. Returns what the child printed
/// and how it ended.
#[must_use]
pub fn run_scenario(child_test: &str, scenario: &str) -> std::process::Output {
    let mut o = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            child_test,
            "--nocapture",
            "--test-threads=1",
            "--quiet",
        ])
        .env(SCENARIO_ENV, scenario)
        .output()
        .expect("spawn child");
    // Keep what the scenario printed, not the test harness's header.
    let header = b"running 1 test\n";
    if let Some(at) = o.stdout.windows(header.len()).position(|w| w == header) {
        o.stdout.drain(..at + header.len());
    }
    o
}

/// In a child started by [`run_scenario`]: runs the scenario named in the
/// environment from `scenarios`, then exits with `_exit(0)` (flushing nothing,
/// making no other syscall). Returns at once in a process that is not such a child.
pub fn scenario_main(scenarios: &[(&str, fn())]) {
    let Ok(name) = std::env::var(SCENARIO_ENV) else {
        return;
    };
    let (_, f) = scenarios
        .iter()
        .find(|(n, _)| *n == name)
        .expect("known scenario");
    f();
    // SAFETY: ends the process with exit_group alone.
    unsafe { libc::_exit(0) }
}

/// Writes to stdout with `write(2)` alone, for children whose filter allows little.
pub fn say(text: &str) {
    // SAFETY: `text` is valid for its length.
    unsafe { libc::write(1, text.as_ptr().cast(), text.len()) };
}

/// Describes how a child ended, for assertions.
#[must_use]
pub fn ended(o: &std::process::Output) -> String {
    match (o.status.code(), o.status.signal()) {
        (_, Some(s)) => format!("signal {s}"),
        (Some(c), _) => format!("exit {c}"),
        _ => "?".into(),
    }
}
