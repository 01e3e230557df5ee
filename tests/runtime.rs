//! The runtime on the real kernel, every scenario in a child process: stacking,
//! strict mode, action probing, user notifications, and installing without
//! allocating.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use seccomp_rt::{Action, Filter, NotifyFilter, Response, seccomp};
use seccomp_tests::{ended, run_scenario, say, scenario_main};

/// Counts the bytes allocated while `COUNTING` is on.
struct Counting;
static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::SeqCst) {
            ALLOCATED.fetch_add(layout.size(), Ordering::SeqCst);
        }
        // SAFETY: the caller's contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

static PERMISSIVE: Filter = seccomp! { getppid => errno(EACCES); default => allow; };
static STRICTER: Filter =
    seccomp! { getpid => errno(EPERM); getppid => errno(ENOENT); default => allow; };
static ALLOW_ALL: Filter = seccomp! { default => allow; };

fn errno_of(r: i64) -> i32 {
    if r == -1 {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
    } else {
        0
    }
}

fn raw(nr: i64) -> i64 {
    // SAFETY: argument-less syscalls.
    unsafe { libc::syscall(nr) }
}

fn stacking() {
    PERMISSIVE.install().expect("first filter");
    say(&format!(
        "getpid errno {}\n",
        errno_of(raw(libc::SYS_getpid))
    ));
    STRICTER.install().expect("stricter filter");
    say(&format!(
        "getpid errno {}\n",
        errno_of(raw(libc::SYS_getpid))
    ));
    // A later, more permissive filter cannot undo an earlier one: every filter runs
    // and the most restrictive answer wins (ERRNO beats ALLOW; between two errnos,
    // the filter installed last decides).
    ALLOW_ALL.install().expect("permissive filter");
    say(&format!(
        "getpid errno {}\n",
        errno_of(raw(libc::SYS_getpid))
    ));
    say(&format!(
        "getppid errno {}\n",
        errno_of(raw(libc::SYS_getppid))
    ));
}

fn strict() {
    // Strict mode kills the offending thread only: do it in a one-thread process.
    // SAFETY: the child only makes raw syscalls before it ends.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        if seccomp_rt::enter_strict_mode().is_ok() {
            say("strict\n");
            raw(libc::SYS_getpid);
            say("not reached\n");
        }
        // SAFETY: `exit` (not `exit_group`) is what strict mode allows.
        unsafe { libc::syscall(libc::SYS_exit, 3) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    unsafe { libc::waitpid(pid, &raw mut status, 0) };
    let how = if libc::WIFSIGNALED(status) {
        format!("signal {}", libc::WTERMSIG(status))
    } else {
        format!("exit {}", libc::WEXITSTATUS(status))
    };
    say(&format!("child ended by {how}\n"));
}

fn probe() {
    for a in [
        Action::Allow,
        Action::KillProcess,
        Action::Log,
        Action::Notify,
        Action::Errno(1),
    ] {
        say(&format!("{a}: {:?}\n", seccomp_rt::action_available(a)));
    }
}

fn no_allocation() {
    static F: Filter = seccomp! { getpid => errno(EPERM); default => allow; };
    static T: seccomp_rt::Template<1> =
        seccomp! { close: fd == $x => errno(EPERM); default => allow; };
    static N: NotifyFilter = seccomp! { mknodat => notify; default => allow; };
    // Warm up anything lazily initialised, then count only the installs.
    let _ = seccomp_rt::action_available(Action::Allow);
    COUNTING.store(true, Ordering::SeqCst);
    let r = F
        .installer()
        .log(true)
        .spec_allow(true)
        .tsync_esrch(true)
        .install();
    let t = T.install([("x", 1)]);
    let n = N
        .installer()
        .wait_killable_recv(true)
        .install_with_listener();
    COUNTING.store(false, Ordering::SeqCst);
    r.expect("install with LOG, SPEC_ALLOW, TSYNC_ESRCH");
    t.expect("install a template");
    n.expect("install with a listener and WAIT_KILLABLE_RECV");
    say(&format!("allocated {}\n", ALLOCATED.load(Ordering::SeqCst)));
}

fn notify_needs_listener() {
    static F: NotifyFilter = seccomp! { mknodat => notify; default => allow; };
    let plain = F.filter().install();
    say(&format!("plain install: {plain:?}\n"));
}

fn notify_supervised() {
    static F: NotifyFilter = seccomp! {
        mknodat => notify;
        openat: dfd == -100 && filename == 0 => notify;
        default => allow;
    };
    let listener = F.install().expect("install with listener");
    let supervisor = std::thread::spawn(move || {
        for _ in 0..3 {
            let n = listener.recv().expect("recv");
            let valid = listener.id_valid(n.id);
            let response = if n.data.nr == libc::SYS_mknodat as i32 {
                // Answer for mknodat: it "succeeds" with 42 without running.
                Response::Value(42)
            } else if n.data.args[2] == 1 {
                Response::Errno(libc::EROFS)
            } else {
                // openat(AT_FDCWD, NULL, …): hand the caller a descriptor of ours.
                // SAFETY: a NUL-terminated path.
                let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY) };
                let theirs = listener.add_fd(n.id, fd, None, true).expect("add_fd");
                Response::Value(i64::from(theirs))
            };
            say(&format!("supervisor: nr {} valid {valid}\n", n.data.nr));
            listener.respond(n.id, response).expect("respond");
        }
    });
    // SAFETY: raw syscalls with harmless arguments; the supervisor answers them.
    let m = unsafe {
        libc::syscall(
            libc::SYS_mknodat,
            libc::AT_FDCWD,
            c"/nonexistent/x".as_ptr(),
            0o600,
            0,
        )
    };
    say(&format!("mknodat returned {m}\n"));
    // SAFETY: as above; a NULL path is what the policy hands to the supervisor.
    let e = unsafe {
        libc::syscall(
            libc::SYS_openat,
            libc::AT_FDCWD,
            std::ptr::null::<u8>(),
            1,
            0,
        )
    };
    say(&format!("openat flags 1 errno {}\n", errno_of(e)));
    // SAFETY: as above.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat,
            libc::AT_FDCWD,
            std::ptr::null::<u8>(),
            0,
            0,
        )
    };
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid out-pointer.
    let r = unsafe { libc::fstat(fd as i32, &raw mut st) };
    say(&format!(
        "openat gave a character device: {}\n",
        r == 0 && st.st_mode & libc::S_IFMT == libc::S_IFCHR
    ));
    supervisor.join().expect("supervisor");
}

fn trap_then_errno() {
    static F: Filter = seccomp! { getpid => trap; default => allow; };
    seccomp_rt::sigsys::install(
        seccomp_rt::syscall_names!(),
        seccomp_rt::sigsys::Then::FailWith(libc::EPERM),
    )
    .expect("handler");
    F.install().expect("install");
    let r = raw(libc::SYS_getpid);
    say(&format!("getpid returned {r}, errno {}\n", errno_of(r)));
}

fn trap_then_exit() {
    static F: Filter = seccomp! { getppid => trap; default => allow; };
    seccomp_rt::sigsys::install(seccomp_rt::syscall_names!(), seccomp_rt::sigsys::Then::Exit)
        .expect("handler");
    F.install().expect("install");
    raw(libc::SYS_getppid);
    say("not reached\n");
}

fn log_daemon() {
    static POLICY: seccomp_rt::Template<1> = seccomp! {
        write: fd == $log_fd;
        exit_group;
        default => errno(EPERM);
    };
    let path = std::env::temp_dir().join(format!("seccomp-rt-log-{}", std::process::id()));
    let log = std::fs::File::create(&path).expect("open the log");
    let fd = std::os::fd::AsRawFd::as_raw_fd(&log);
    say(&format!("{}\n", path.display()));
    POLICY.install([("log_fd", fd.into())]).expect("install");
    // SAFETY: valid buffers.
    let logged = unsafe { libc::write(fd, b"logged\n".as_ptr().cast(), 7) };
    // SAFETY: as above.
    let to_stdout = unsafe { libc::write(1, b"leak\n".as_ptr().cast(), 5) };
    let errno = errno_of(to_stdout as i64);
    // SAFETY: ends the process; the status says what happened.
    unsafe {
        libc::_exit(
            i32::from(logged == 7) * 10 + i32::from(to_stdout == -1 && errno == libc::EPERM),
        )
    };
}

static DENY_SECCOMP: Filter = seccomp! { seccomp => errno(EPERM); default => allow; };

fn no_new_privs() -> i32 {
    // SAFETY: a query without pointers.
    unsafe { libc::prctl(libc::PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) }
}

fn refused_install_keeps_privs() {
    // An earlier filter, installed with CAP_SYS_ADMIN instead of NO_NEW_PRIVS, that
    // makes every later install fail: the failure must not set NO_NEW_PRIVS.
    if let Err(e) = DENY_SECCOMP.installer().no_new_privs(false).install() {
        say(&format!("skipped: needs CAP_SYS_ADMIN ({e})\n"));
        return;
    }
    say(&format!("no_new_privs before {}\n", no_new_privs()));
    let r = STRICTER.install();
    say(&format!(
        "install {:?}, no_new_privs after {}\n",
        r.map_err(|e| e.to_string()),
        no_new_privs()
    ));
}

const SCENARIOS: &[(&str, fn())] = &[
    ("refused_install_keeps_privs", refused_install_keeps_privs),
    ("log_daemon", log_daemon),
    ("trap_then_errno", trap_then_errno),
    ("trap_then_exit", trap_then_exit),
    ("stacking", stacking),
    ("strict", strict),
    ("probe", probe),
    ("no_allocation", no_allocation),
    ("notify_needs_listener", notify_needs_listener),
    ("notify_supervised", notify_supervised),
];

#[test]
fn child() {
    scenario_main(SCENARIOS);
}

#[test]
fn a_refused_install_does_not_set_no_new_privs() {
    let o = run_scenario("child", "refused_install_keeps_privs");
    assert!(o.status.success(), "{}", ended(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    if out.starts_with("skipped") {
        eprintln!("SKIPPED a_refused_install_does_not_set_no_new_privs: {out}");
        return;
    }
    assert!(out.starts_with("no_new_privs before 0\n"), "{out}");
    assert!(out.contains("install Err("), "{out}");
    assert!(out.ends_with("no_new_privs after 0\n"), "{out}");
}

#[test]
fn a_stricter_filter_installed_later_wins() {
    let o = run_scenario("child", "stacking");
    assert!(o.status.success(), "{}", ended(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let want = format!(
        "getpid errno 0\ngetpid errno {}\ngetpid errno {}\ngetppid errno {}\n",
        libc::EPERM,
        libc::EPERM,
        libc::ENOENT
    );
    assert_eq!(out, want);
}

#[test]
fn strict_mode_allows_write_and_kills_anything_else() {
    let o = run_scenario("child", "strict");
    assert!(o.status.success(), "{}", ended(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("strict\nchild ended by signal {}\n", libc::SIGKILL)
    );
}

#[test]
fn the_kernel_is_asked_which_actions_it_knows() {
    let o = run_scenario("child", "probe");
    assert!(o.status.success(), "{}", ended(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    for a in ["allow", "kill_process", "log", "notify", "errno(1)"] {
        assert!(out.contains(&format!("{a}: Some(true)")), "{out}");
    }
}

#[test]
fn installing_allocates_nothing() {
    let o = run_scenario("child", "no_allocation");
    assert!(o.status.success(), "{}", ended(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "allocated 0\n");
}

#[test]
fn a_notify_filter_cannot_be_installed_without_its_listener() {
    let o = run_scenario("child", "notify_needs_listener");
    assert!(o.status.success(), "{}", ended(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "plain install: Err(NeedsListener)\n"
    );
}

#[test]
fn a_supervisor_answers_for_the_filtered_thread() {
    let o = run_scenario("child", "notify_supervised");
    assert!(
        o.status.success(),
        "{} {}",
        ended(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("mknodat returned 42\n"), "{out}");
    assert!(
        out.contains(&format!("openat flags 1 errno {}\n", libc::EROFS)),
        "{out}"
    );
    assert!(
        out.contains("openat gave a character device: true\n"),
        "{out}"
    );
    assert_eq!(out.matches("valid true").count(), 3, "{out}");
}

#[test]
fn a_trapped_syscall_is_reported_by_name_then_fails_with_an_errno() {
    let o = run_scenario("child", "trap_then_errno");
    assert!(o.status.success(), "{}", ended(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("getpid returned -1, errno {}\n", libc::EPERM)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    let want = format!(
        "seccomp: trapped syscall getpid ({}), arch {:#x}, at 0x",
        libc::SYS_getpid,
        seccomp_rt::AUDIT_ARCH
    );
    assert!(err.contains(&want), "{err}");
}

#[test]
fn a_trapped_syscall_is_reported_by_name_then_the_process_exits() {
    let o = run_scenario("child", "trap_then_exit");
    assert_eq!(ended(&o), "exit 159");
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "seccomp: trapped syscall getppid ({})",
            libc::SYS_getppid
        )),
        "{err}"
    );
}

#[test]
fn a_daemon_binds_its_log_descriptor_at_install_time() {
    let o = run_scenario("child", "log_daemon");
    assert_eq!(
        ended(&o),
        "exit 11",
        "the log write must succeed and stdout be refused"
    );
    let out = String::from_utf8_lossy(&o.stdout);
    let path = out.lines().next().expect("the log's path");
    assert_eq!(std::fs::read_to_string(path).expect("log"), "logged\n");
    assert!(!out.contains("leak"));
    let _ = std::fs::remove_file(path);
}

#[test]
fn binding_checks_names_and_ranges_before_anything_is_installed() {
    static T: seccomp_rt::Template<2> = seccomp! {
        write: fd == $out;
        lseek: offset < $limit;
        default => kill;
    };
    assert_eq!(T.names(), ["out", "limit"]);
    let (a, w, l) = (
        seccomp_rt::AUDIT_ARCH,
        libc::SYS_write as i32,
        libc::SYS_lseek as i32,
    );
    assert_eq!(
        T.evaluate([("out", 1), ("limit", -1)], a, w, [1, 0, 0, 0, 0, 0]),
        Ok(Action::Allow)
    );
    assert_eq!(
        T.evaluate([("limit", 10), ("out", 1)], a, l, [0, 9, 0, 0, 0, 0]),
        Ok(Action::Allow)
    );
    assert_eq!(
        T.evaluate([("limit", 10), ("out", 1)], a, l, [0, 10, 0, 0, 0, 0]),
        Ok(Action::KillProcess)
    );
    assert_eq!(
        T.evaluate(
            [("limit", -1), ("out", 1)],
            a,
            l,
            [0, (-2i64) as u64, 0, 0, 0, 0]
        ),
        Ok(Action::Allow)
    );
    let unknown = T.evaluate([("out", 1), ("limt", 1)], a, w, [0; 6]);
    assert_eq!(
        unknown,
        Err(seccomp_rt::Error::UnknownParameter { position: 1 })
    );
    let twice = T.evaluate([("out", 1), ("out", 2)], a, w, [0; 6]);
    assert_eq!(
        twice,
        Err(seccomp_rt::Error::UnknownParameter { position: 1 })
    );
    // `fd` of write is an unsigned int.
    let range = T.evaluate([("out", -1), ("limit", 0)], a, w, [0; 6]);
    assert_eq!(
        range,
        Err(seccomp_rt::Error::ParameterOutOfRange {
            name: "out",
            min: 0,
            max: 4_294_967_295
        })
    );
    assert_eq!(
        range.unwrap_err().to_string(),
        "the value of `$out` does not fit: it must be from 0 to 4294967295"
    );
}

/// Bounds print whole from `i64::MIN` to `u64::MAX`, without 128-bit formatting.
#[test]
fn parameter_bounds_print_at_both_extremes() {
    let e = seccomp_rt::Error::ParameterOutOfRange {
        name: "x",
        min: i128::from(i64::MIN),
        max: i128::from(u64::MAX),
    };
    assert_eq!(
        e.to_string(),
        "the value of `$x` does not fit: it must be from -9223372036854775808 to 18446744073709551615"
    );
    let e = seccomp_rt::Error::ParameterOutOfRange {
        name: "y",
        min: -1,
        max: 0,
    };
    assert!(e.to_string().ends_with("from -1 to 0"));
}
