//! `seccompc learn`: run a command with every syscall handed to a supervisor (this
//! process), record what it does, and write the policy it needs; `seccompc run`:
//! run a command under a policy.
//!
//! How the listener reaches the supervisor without a deadlock: `learn` starts
//! itself (`seccompc __learn-child -- CMD …`); that child sets `NO_NEW_PRIVS`,
//! installs a filter answering `SECCOMP_RET_USER_NOTIF` for every syscall of the
//! host ABI (with `SECCOMP_FILTER_FLAG_NEW_LISTENER`) and execs CMD. Its first
//! syscall after the install waits for an answer, so the listener descriptor is
//! still in its table: the supervisor finds it in `/proc/CHILD/fd` (the link
//! reads `anon_inode:seccomp notify`), takes a copy with `pidfd_open` +
//! `pidfd_getfd`, and answers every notification with
//! `SECCOMP_USER_NOTIF_FLAG_CONTINUE`. The filter is inherited across `clone`,
//! `fork` and `execve`, so every thread and every descendant reports to the same
//! listener.
//!
//! Other ABIs (i386 calls from an x86_64 process, x32 numbers) are killed by the
//! learning filter, exactly as the learned policy (compiled for the host ABI,
//! `bad_arch => kill`) kills them: what learn sees is what the policy decides.

mod facts;
mod policy;

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use seccomp_bpf::ret::Action;
use seccomp_compiler::Arch;
use seccomp_rt::{Error, Filter, Listener, NotifyFilter, Readiness, Response};

use crate::Failure;
use crate::report::{Source, compile};
pub(crate) use facts::Facts;

/// The hidden command the supervisor starts: installs the learning filter, execs.
const CHILD_COMMAND: &str = "__learn-child";

/// Exit status of the learning child when it could not install its filter.
const CHILD_SETUP_FAILED: i32 = 125;
/// Exit status of `run` and of the learning child when the command cannot be run.
const EXEC_FAILED: i32 = 127;

pub(crate) fn learn_usage() -> String {
    "\
seccompc learn: run a command, record every syscall it makes, write the policy it needs

Usage: seccompc learn [-o POLICY_FILE] [--merge] -- CMD [ARGS…]

Runs CMD under a filter that hands every syscall of this host's ABI to seccompc,
which records it with its argument values and lets it run
(SECCOMP_USER_NOTIF_FLAG_CONTINUE). Every thread and every child process of CMD
is followed. Exits with CMD's exit status (128 + the signal when it was killed).
Needs no privileges: NO_NEW_PRIVS is set, and seccompc takes the listener of
its own child (pidfd_getfd: Linux 5.6+, with kernel.yama.ptrace_scope 0 or 1).

The policy is written in the language of `seccomp!` and compiled, for this ABI
and for every other one, before it is written; a failure is reported. It has
- syscall names, `name?` for names some ABI lacks;
- systemd's and the project's groups where the run used every member the
  group has on this ABI (no group allows what its name does not say);
- argument conditions where few values were seen of a parameter that tells
  uses apart: socket's family and type, ioctl's and fcntl's cmd, prctl's
  option, the access mode of open/openat (flags & O_ACCMODE), mmap/mprotect
  without PROT_EXEC, clone with CLONE_THREAD;
- how often each syscall was seen, as comments;
- `default => kill;`;
- the facts recorded, in a comment block at the end that `--merge` reads back.
Argument values are this ABI's (ioctl numbers and mips' socket types differ
between ABIs): learn on the ABI the policy is for.

Options:
  -o, --output FILE   the policy file to write (default: CMD's name with
                      `.seccomp`, in the current directory)
  --merge             add this run to the facts of FILE (written by learn
                      before, for the same ABI) and write the policy of all runs
  -h, --help          this text

Example: learn, then run under the policy, then put it in the program
  seccompc learn -o sort.seccomp -- sort data.txt -o sorted.txt
  seccompc run sort.seccomp -- sort data.txt -o sorted.txt
"
    .to_owned()
}

pub(crate) fn run_usage() -> String {
    "\
seccompc run: run a command under a policy

Usage: seccompc run POLICY_FILE -- CMD [ARGS…]

Compiles POLICY_FILE for this host's ABI, installs it in this process
(NO_NEW_PRIVS, TSYNC) and then execs CMD: CMD and everything it starts run
under the policy, and the exit status is CMD's own. The policy must allow what
happens between the install and CMD's start: `execve` (CMD is looked up in
PATH before the install), and `rt_sigaction` and `rt_sigprocmask`, which
reset the signal state. A policy learned by `seccompc learn` has them. A policy
using `notify` needs a supervisor and is refused.

Options:
  -h, --help          this text

Exit status: CMD's; 1 when the policy does not compile or cannot be installed;
127 when CMD cannot be run; 2 when the command line is wrong.
"
    .to_owned()
}

/// `seccompc learn …`, `seccompc run …`, the hidden child, and `help learn|run`:
/// `None` for the other commands.
pub(crate) fn dispatch(args: &[String]) -> Option<Result<u8, Failure>> {
    let first = args.first()?.as_str();
    let rest = &args[1..];
    Some(match first {
        "learn" => parse_learn(rest).and_then(|o| match o {
            Some(o) => learn(&o),
            None => print(&learn_usage()),
        }),
        "run" => parse_run(rest).and_then(|o| match o {
            Some((policy, cmd)) => run(&policy, &cmd),
            None => print(&run_usage()),
        }),
        CHILD_COMMAND => learning_child(rest.strip_prefix(&["--".to_owned()]).unwrap_or(rest)),
        "help" if rest.len() == 1 && rest[0] == "learn" => print(&learn_usage()),
        "help" if rest.len() == 1 && rest[0] == "run" => print(&run_usage()),
        _ => return None,
    })
}

fn print(text: &str) -> Result<u8, Failure> {
    crate::emit(text.as_bytes()).map(|()| 0)
}

struct LearnOptions {
    out: Option<String>,
    merge: bool,
    cmd: Vec<String>,
}

fn usage_error(msg: String) -> Failure {
    Failure::Usage(msg, None)
}

fn parse_learn(args: &[String]) -> Result<Option<LearnOptions>, Failure> {
    let usage = |m: String| usage_error(format!("{m}\n\n{}", learn_usage().trim_end()));
    let mut out = None;
    let mut merge = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "--merge" => merge = true,
            "-o" | "--output" => match it.next() {
                Some(v) if out.is_none() => out = Some(v.clone()),
                Some(_) => return Err(usage(format!("`{a}` is given twice"))),
                None => return Err(usage(format!("`{a}` needs a value"))),
            },
            "--" => break,
            other => {
                if let Some(v) = other.strip_prefix("--output=") {
                    out = Some(v.to_owned());
                    continue;
                }
                return Err(usage(format!(
                    "unexpected `{other}`: the command comes after `--`: \
                     `seccompc learn [-o POLICY_FILE] [--merge] -- CMD [ARGS…]`"
                )));
            }
        }
    }
    let cmd: Vec<String> = it.cloned().collect();
    if cmd.is_empty() {
        return Err(usage(
            "`learn` needs a command after `--`: `seccompc learn -- CMD [ARGS…]`".to_owned(),
        ));
    }
    Ok(Some(LearnOptions { out, merge, cmd }))
}

fn parse_run(args: &[String]) -> Result<Option<(String, Vec<String>)>, Failure> {
    let usage = |m: String| usage_error(format!("{m}\n\n{}", run_usage().trim_end()));
    let mut policy = None;
    let mut it = args.iter();
    for a in it.by_ref() {
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "--" => break,
            f if f.starts_with('-') && f != "-" => {
                return Err(usage(format!("unknown option `{f}`")));
            }
            f if policy.is_none() => policy = Some(f.to_owned()),
            f => {
                return Err(usage(format!(
                    "unexpected `{f}`: the command comes after `--`: \
                     `seccompc run POLICY_FILE -- CMD [ARGS…]`"
                )));
            }
        }
    }
    let Some(policy) = policy else {
        return Err(usage("`run` needs a POLICY_FILE".to_owned()));
    };
    let cmd: Vec<String> = it.cloned().collect();
    if cmd.is_empty() {
        return Err(usage(
            "`run` needs a command after `--`: `seccompc run POLICY_FILE -- CMD [ARGS…]`"
                .to_owned(),
        ));
    }
    Ok(Some((policy, cmd)))
}

fn host() -> Result<Arch, Failure> {
    Arch::native()
        .ok_or_else(|| Failure::Error("this host's ABI is not one seccompc knows".to_owned()))
}

/// CMD as `execvp` would find it, resolved before any filter is installed.
fn resolve_command(name: &str) -> Result<PathBuf, String> {
    let executable = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if name.contains('/') {
        let p = PathBuf::from(name);
        return if executable(&p) {
            Ok(p)
        } else {
            Err(format!("`{name}` is not an executable file"))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| executable(p))
        .ok_or_else(|| format!("`{name}` is not found in PATH"))
}

/// Execs CMD (already resolved); returns only on failure, with the message.
fn exec(path: &Path, cmd: &[String]) -> String {
    let e = Command::new(path).arg0(&cmd[0]).args(&cmd[1..]).exec();
    format!("cannot run `{}`: {e}", path.display())
}

/// The status a shell would report: the code, or 128 + the signal.
fn exit_status(status: ExitStatus) -> u8 {
    match (status.code(), status.signal()) {
        (Some(c), _) => u8::try_from(c & 0xff).unwrap_or(1),
        (None, Some(s)) => u8::try_from((128 + s) & 0xff).unwrap_or(1),
        (None, None) => 1,
    }
}

// ---------------------------------------------------------------------------
// `seccompc run`

fn run(policy: &str, cmd: &[String]) -> Result<u8, Failure> {
    let arch = host()?;
    let src = crate::report::read_policy(policy)?;
    let c = compile(&src, arch)?;
    if c.bpf
        .iter()
        .any(|i| i.code == seccomp_bpf::op::RET_K && Action::from_ret(i.k) == Action::Notify)
    {
        return Err(Failure::Error(format!(
            "`{policy}` uses `notify`: its notified syscalls need a supervisor, which `seccompc run` \
             is not; use seccomp-rt's Listener"
        )));
    }
    let path = resolve_command(&cmd[0]).map_err(Failure::Error)?;
    let program: &'static [seccomp_bpf::SockFilter] = Box::leak(c.bpf.into_boxed_slice());
    let filter = Filter::try_from_static(program).map_err(|e| {
        Failure::Error(format!(
            "internal error: the compiled program is invalid: {e}"
        ))
    })?;
    filter
        .install()
        .map_err(|e| Failure::Error(format!("cannot install `{policy}`: {e}")))?;
    eprintln!("seccompc run: {}", exec(&path, cmd));
    Ok(EXEC_FAILED as u8)
}

// ---------------------------------------------------------------------------
// The learning child

/// The learning filter: every syscall of the host ABI to the supervisor.
fn learning_program(arch: Arch) -> Result<&'static [seccomp_bpf::SockFilter], Failure> {
    let src = Source {
        name: "<learn>".to_owned(),
        text: "default => notify;\nunknown => notify;\nbad_arch => kill;\n".to_owned(),
    };
    let c = compile(&src, arch)?;
    Ok(Box::leak(c.bpf.into_boxed_slice()))
}

fn learning_child(cmd: &[String]) -> Result<u8, Failure> {
    let fail = |msg: String| -> Result<u8, Failure> {
        eprintln!("seccompc learn: {msg}");
        #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)]
        Ok(CHILD_SETUP_FAILED as u8)
    };
    if cmd.is_empty() {
        return fail("no command".to_owned());
    }
    let path = match resolve_command(&cmd[0]) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let arch = host()?;
    let filter = NotifyFilter::from_static(learning_program(arch)?);
    // Single-threaded here: no TSYNC, which with a listener would need
    // TSYNC_ESRCH (Linux 5.7).
    match filter.installer().tsync(false).install_with_listener() {
        Ok(listener) => {
            // The supervisor takes a copy while the next syscall waits; the
            // descriptor is close-on-exec, so CMD never sees it.
            std::mem::forget(listener);
        }
        Err(Error::ActionUnavailable { .. }) => {
            return fail(
                "this kernel has no seccomp user notification (SECCOMP_RET_USER_NOTIF, \
                 Linux 5.0+), which learn needs"
                    .to_owned(),
            );
        }
        Err(Error::Refused {
            errno: libc::EINVAL,
        }) => {
            return fail(
                "the kernel refused the learning filter (EINVAL): this kernel lacks \
                 SECCOMP_FILTER_FLAG_NEW_LISTENER (Linux 5.0+)"
                    .to_owned(),
            );
        }
        Err(e) => return fail(format!("cannot install the learning filter: {e}")),
    }
    let msg = exec(&path, cmd);
    eprintln!("seccompc learn: {msg}");
    #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)]
    Ok(EXEC_FAILED as u8)
}

// ---------------------------------------------------------------------------
// The supervisor

/// The listener of `pid`, found in `/proc/PID/fd`, or `None` while it has none.
fn find_listener_fd(pid: u32) -> Option<i32> {
    let dir = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    dir.flatten().find_map(|e| {
        let target = std::fs::read_link(e.path()).ok()?;
        (target.as_os_str() == "anon_inode:seccomp notify")
            .then(|| e.file_name().to_str()?.parse().ok())
            .flatten()
    })
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Why `pidfd_getfd` was refused, and what to do.
fn take_failure(e: Error) -> String {
    let mut msg = format!("cannot take the command's seccomp listener: {e}");
    if let Error::TakeFd {
        errno: libc::EPERM, ..
    } = e
    {
        let scope = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        if scope.is_empty() {
            msg.push_str(
                "\n  = note: pidfd_getfd needs ptrace access to the child (PTRACE_MODE_ATTACH_REALCREDS); \
                 a security module denies it",
            );
        } else {
            msg.push_str(&format!(
                "\n  = note: kernel.yama.ptrace_scope is {scope}; a parent may take its child's \
                 descriptors only when it is 0 or 1\n  = help: `sysctl kernel.yama.ptrace_scope=1` \
                 (as root), or give seccompc CAP_SYS_PTRACE"
            ));
        }
    } else if let Error::TakeFd {
        errno: libc::ENOSYS,
        call,
    } = e
    {
        msg.push_str(&format!(
            "\n  = note: this kernel lacks {call} ({}); learn needs Linux 5.6+",
            if call == "pidfd_open" {
                "Linux 5.3"
            } else {
                "Linux 5.6"
            }
        ));
    }
    msg
}

/// Whether the kernel reports a listener whose filter has no task left (5.8+).
fn kernel_reports_hangup() -> bool {
    let Ok(release) = std::fs::read_to_string("/proc/sys/kernel/osrelease") else {
        return false;
    };
    let mut parts = release
        .trim()
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    (major, minor) >= (5, 8)
}

/// Runs `cmd` under the learning filter; the facts and CMD's exit status.
pub(crate) fn supervise(arch: Arch, cmd: &[String]) -> Result<(Facts, ExitStatus), Failure> {
    let exe = std::env::current_exe()
        .map_err(|e| Failure::Error(format!("cannot find seccompc's own executable: {e}")))?;
    let mut child = Command::new(exe)
        .arg(CHILD_COMMAND)
        .arg("--")
        .args(cmd)
        .spawn()
        .map_err(|e| Failure::Error(format!("cannot start the learning process: {e}")))?;
    let pid = child.id();
    let started = Instant::now();
    let fd = loop {
        if let Some(status) = child.try_wait().ok().flatten() {
            return Err(Failure::Error(format!(
                "`{}` was not started: the learning process ended ({}) before installing its filter",
                cmd[0],
                describe(status)
            )));
        }
        if let Some(fd) = find_listener_fd(pid) {
            break fd;
        }
        if started.elapsed() > Duration::from_secs(30) {
            kill(&mut child);
            return Err(Failure::Error(
                "the learning process made no seccomp listener in 30 s".to_owned(),
            ));
        }
        std::thread::sleep(Duration::from_micros(200));
    };
    let listener = match Listener::take_from(i32::try_from(pid).unwrap_or(i32::MAX), fd) {
        Ok(l) => l,
        Err(e) => {
            kill(&mut child);
            return Err(Failure::Error(take_failure(e)));
        }
    };
    let mut facts = Facts::new(arch);
    facts.runs.push(cmd.join(" "));
    let hangup = kernel_reports_hangup();
    let mut status = None;
    let mut exited_at = None;
    let mut answered = 0u64;
    loop {
        match listener.wait(50) {
            Ok(Readiness::Ready) => {
                let n = match listener.recv() {
                    Ok(n) => n,
                    // The caller died before its notification was read, or a signal.
                    Err(Error::Listener {
                        errno: libc::ENOENT | libc::EINTR,
                    }) => continue,
                    Err(e) => {
                        kill(&mut child);
                        return Err(Failure::Error(format!("receiving a notification: {e}")));
                    }
                };
                facts.record(n.data.arch, n.data.nr, n.data.args);
                match listener.respond(n.id, Response::Continue) {
                    // ENOENT: the caller died meanwhile (a thread killed by exit_group).
                    Ok(())
                    | Err(Error::Listener {
                        errno: libc::ENOENT,
                    }) => answered += 1,
                    Err(Error::Listener {
                        errno: libc::EINVAL,
                    }) if answered == 0 => {
                        kill(&mut child);
                        return Err(Failure::Error(
                            "this kernel does not know SECCOMP_USER_NOTIF_FLAG_CONTINUE \
                             (Linux 5.5+), which learn needs to let syscalls run"
                                .to_owned(),
                        ));
                    }
                    Err(e) => {
                        kill(&mut child);
                        return Err(Failure::Error(format!("answering a notification: {e}")));
                    }
                }
                continue;
            }
            Ok(Readiness::HungUp) => {
                if status.is_some() {
                    break;
                }
            }
            Ok(Readiness::TimedOut) | Err(Error::Listener { errno: libc::EINTR }) => {}
            Err(e) => {
                kill(&mut child);
                return Err(Failure::Error(format!("waiting for notifications: {e}")));
            }
        }
        // Reaped, the child stops using the filter; once no descendant does
        // either, the listener hangs up (Linux 5.8+). Older kernels never say:
        // there, stop one quiet second after the command ended.
        if status.is_none()
            && let Ok(Some(s)) = child.try_wait()
        {
            status = Some(s);
            exited_at = Some(Instant::now());
        }
        if !hangup && exited_at.is_some_and(|t| t.elapsed() > Duration::from_secs(1)) {
            break;
        }
    }
    Ok((
        facts,
        status.expect("the loop ends after the child is reaped"),
    ))
}

fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit status {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        _ => "unknown status".to_owned(),
    }
}

fn default_output(cmd: &str) -> String {
    let base = Path::new(cmd)
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or("learned");
    format!("{base}.seccomp")
}

fn learn(o: &LearnOptions) -> Result<u8, Failure> {
    let arch = host()?;
    let out = o.out.clone().unwrap_or_else(|| default_output(&o.cmd[0]));
    // Read the facts to merge before running, so that a bad file costs no run.
    let previous = if o.merge {
        match std::fs::read_to_string(&out) {
            Ok(text) => Some(
                Facts::parse(&text)
                    .map_err(|e| Failure::Error(format!("`{out}` cannot be merged into: {e}")))?,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Failure::Error(format!("cannot read `{out}`: {e}"))),
        }
    } else {
        None
    };
    if let Some(p) = &previous
        && p.arch != arch
    {
        return Err(Failure::Error(format!(
            "`{out}` was learned on {}, this host is {arch}: argument values differ between ABIs, \
             so runs of different ABIs are not merged",
            p.arch
        )));
    }
    let (mut facts, status) = supervise(arch, &o.cmd)?;
    if let Some(p) = previous {
        facts = p.merge(facts);
    }
    let written = policy::write(&facts);
    std::fs::write(&out, &written.text)
        .map_err(|e| Failure::Error(format!("cannot write `{out}`: {e}")))?;
    eprintln!(
        "seccompc learn: `{}` ended with {}; {} calls of {} syscalls over {} run{}; wrote `{out}`",
        o.cmd[0],
        describe(status),
        facts.total(),
        facts.syscalls.len(),
        facts.runs.len(),
        if facts.runs.len() == 1 { "" } else { "s" },
    );
    for line in &written.check {
        eprintln!("seccompc learn: {line}");
    }
    Ok(exit_status(status))
}
