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
                Response::Errno(seccomp_rt::Errno::EROFS)
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

/// A supervisor fails mknodat with each errno in turn; the caller says what errno
/// it got.
fn notify_errnos() {
    use seccomp_rt::Errno;
    static F: NotifyFilter = seccomp! { mknodat => notify; default => allow; };
    const ERRNOS: [Errno; 3] = [Errno::EPERM, Errno::EROFS, Errno::new(4095).unwrap()];
    let listener = F.install().expect("install with listener");
    let supervisor = std::thread::spawn(move || {
        for e in ERRNOS {
            let n = listener.recv().expect("recv");
            listener.respond(n.id, Response::Errno(e)).expect("respond");
        }
    });
    for _ in ERRNOS {
        // SAFETY: the supervisor answers instead of the kernel.
        let r = unsafe {
            libc::syscall(
                libc::SYS_mknodat,
                libc::AT_FDCWD,
                c"/nonexistent/x".as_ptr(),
                0o600,
                0,
            )
        };
        say(&format!("mknodat returned {r}, errno {}\n", errno_of(r)));
    }
    supervisor.join().expect("supervisor");
}

fn trap_then_errno() {
    static F: Filter = seccomp! { getpid => trap; default => allow; };
    seccomp_rt::sigsys::install(
        seccomp_rt::syscall_names!(),
        seccomp_rt::sigsys::Then::FailWith(seccomp_rt::Errno::EPERM),
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
        @memory;
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

// The SIGSYS reporter and signals it did not cause. Each scenario takes its pid
// before installing anything, and signals only itself.

static TRAP_GETPID: Filter = seccomp! { getpid => trap; default => allow; };
/// What the previous handler saw: signal + 1000 * (si_code + 1), 0 if not called.
static PREVIOUS_SAW: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

extern "C" fn previous_siginfo_handler(
    sig: libc::c_int,
    info: *mut libc::siginfo_t,
    _context: *mut libc::c_void,
) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let code = unsafe { (*info).si_code };
    PREVIOUS_SAW.store(
        i64::from(sig) + 1000 * (i64::from(code) + 1),
        Ordering::SeqCst,
    );
}

extern "C" fn previous_plain_handler(sig: libc::c_int) {
    PREVIOUS_SAW.store(i64::from(sig), Ordering::SeqCst);
}

/// Sets the disposition of SIGSYS before the reporter: a handler address (with or
/// without SA_SIGINFO), SIG_IGN or SIG_DFL.
fn set_previous(handler: libc::sighandler_t, siginfo: bool) {
    // SAFETY: all-zero is a valid sigaction; the fields set are what it needs.
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = handler;
    sa.sa_flags = if siginfo { libc::SA_SIGINFO } else { 0 };
    // SAFETY: valid pointers.
    let r = unsafe { libc::sigaction(libc::SIGSYS, &raw const sa, std::ptr::null_mut()) };
    assert_eq!(r, 0, "sigaction");
}

/// Text formatted on the stack, for a forked child that must not allocate.
struct StackText([u8; 256], usize);

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.1 + s.len();
        self.0
            .get_mut(self.1..end)
            .ok_or(std::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.1 = end;
        Ok(())
    }
}

/// In a one-thread process (forked, so that kill(2) can only interrupt the thread
/// that calls it): sets the previous disposition, installs the reporter (fail with
/// EPERM) and TRAP_GETPID, sends SIGSYS to itself with kill(2), says what kill
/// returned and what the previous handler saw, then makes a trapped getpid. The
/// scenario then says how that process ended.
fn kill_sigsys_after(previous: libc::sighandler_t, siginfo: bool) {
    use std::fmt::Write as _;
    // SAFETY: the child formats on the stack, makes raw syscalls, and `_exit`s.
    let child = unsafe { libc::fork() };
    if child == 0 {
        // No core file if the default disposition ends the process.
        let no_core = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: a valid rlimit.
        unsafe { libc::setrlimit(libc::RLIMIT_CORE, &raw const no_core) };
        // SAFETY: no arguments. Taken before any filter: getpid is trapped below.
        let pid = unsafe { libc::getpid() };
        set_previous(previous, siginfo);
        seccomp_rt::sigsys::install(
            seccomp_rt::syscall_names!(),
            seccomp_rt::sigsys::Then::FailWith(seccomp_rt::Errno::EPERM),
        )
        .expect("handler");
        TRAP_GETPID.install().expect("install");
        // SAFETY: signals this process only.
        let r = unsafe { libc::kill(pid, libc::SIGSYS) };
        let errno = errno_of(i64::from(r));
        let mut text = StackText([0; 256], 0);
        let _ = writeln!(
            text,
            "kill returned {r}, errno {errno}; previous handler saw {}",
            PREVIOUS_SAW.load(Ordering::SeqCst)
        );
        let r = raw(libc::SYS_getpid);
        let _ = writeln!(text, "getpid returned {r}, errno {}", errno_of(r));
        // SAFETY: the text is valid for its length; `_exit` ends this process.
        unsafe {
            libc::write(1, text.0.as_ptr().cast(), text.1);
            libc::_exit(0);
        }
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    unsafe { libc::waitpid(child, &raw mut status, 0) };
    let how = if libc::WIFSIGNALED(status) {
        format!("signal {}", libc::WTERMSIG(status))
    } else {
        format!("exit {}", libc::WEXITSTATUS(status))
    };
    say(&format!("ended by {how}\n"));
}

fn kill_sigsys_default() {
    kill_sigsys_after(libc::SIG_DFL, false);
}

fn kill_sigsys_ignored() {
    kill_sigsys_after(libc::SIG_IGN, false);
}

fn kill_sigsys_siginfo_handler() {
    kill_sigsys_after(
        previous_siginfo_handler as *const () as libc::sighandler_t,
        true,
    );
}

fn kill_sigsys_plain_handler() {
    kill_sigsys_after(
        previous_plain_handler as *const () as libc::sighandler_t,
        false,
    );
}

/// Sorted, 1024 entries: `(0, "short")`, then `(getpid's number, "torn")`. Its first entry
/// alone is a table without getpid; read with the length of the target's table (a
/// torn pair of table and length), getpid is found, named "torn".
static PADDED: [(u32, &str); 1024] = {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let mut t = [(libc::SYS_getpid as u32, "torn"); 1024];
    t[0] = (0, "short");
    t
};

/// How many trapped getpids the race scenario makes.
const RACE_TRAPS: usize = 20_000;

/// One thread reinstalls the reporter again and again, alternating the target's
/// table and a one-entry one, while another makes trapped getpids.
fn reinstall_race() {
    use seccomp_rt::sigsys::{Then, install};
    let full: &'static [(u32, &'static str)] = seccomp_rt::syscall_names!();
    assert!(full.len() <= PADDED.len());
    let short: &'static [(u32, &'static str)] = &PADDED[..1];
    install(full, Then::FailWith(seccomp_rt::Errno::EPERM)).expect("handler");
    TRAP_GETPID.install().expect("install");
    static STOP: AtomicBool = AtomicBool::new(false);
    let reinstaller = std::thread::spawn(move || {
        let mut n = 0u64;
        while !STOP.load(Ordering::Relaxed) {
            install(short, Then::FailWith(seccomp_rt::Errno::EPERM)).expect("reinstall");
            install(full, Then::FailWith(seccomp_rt::Errno::EPERM)).expect("reinstall");
            n += 2;
        }
        n
    });
    let mut failed = 0usize;
    for _ in 0..RACE_TRAPS {
        failed += usize::from(errno_of(raw(libc::SYS_getpid)) == libc::EPERM);
    }
    STOP.store(true, Ordering::Relaxed);
    let reinstalls = reinstaller.join().expect("reinstaller");
    say(&format!(
        "{failed} failed with EPERM; reinstalled {reinstalls} times\n"
    ));
}

/// Installs MAX_CONFIGS different configurations, one more, then the first again.
fn reporter_configs_run_out() {
    use seccomp_rt::sigsys::{MAX_CONFIGS, Then, install};
    for n in 1..=MAX_CONFIGS {
        install(&PADDED[..n], Then::Exit).expect("a configuration of its own");
    }
    let more = install(&PADDED[..=MAX_CONFIGS], Then::Exit);
    let again = install(&PADDED[..1], Then::Exit);
    say(&format!("one more: {more:?}; the first again: {again:?}\n"));
}

/// A dry run: getpid trapped 1000 times, reinstalled, trapped again.
fn dry_run_reports_once() {
    use seccomp_rt::sigsys::{Then, install};
    install(
        seccomp_rt::syscall_names!(),
        Then::FailWith(seccomp_rt::Errno::EPERM),
    )
    .expect("handler");
    TRAP_GETPID.install().expect("install");
    let mut failed = 0;
    for _ in 0..1000 {
        // SAFETY: getpid with argument registers the report shows.
        let r = unsafe {
            libc::syscall(
                libc::SYS_getpid,
                0x1111,
                0x2222,
                0x3333,
                0x4444,
                0x5555,
                0x6666,
            )
        };
        failed += usize::from(r == -1);
    }
    say(&format!("{failed} failed\n"));
    install(
        seccomp_rt::syscall_names!(),
        Then::FailWith(seccomp_rt::Errno::EPERM),
    )
    .expect("reinstall");
    raw(libc::SYS_getpid);
    say("again\n");
}

/// Distinct numbers the table lacks, each trapped once: more than MAX_REPORTS.
fn dry_run_output_is_bounded() {
    use seccomp_rt::sigsys::{MAX_REPORTS, Then, install};
    static F: Filter = seccomp! { unknown => trap; default => allow; };
    install(
        seccomp_rt::syscall_names!(),
        Then::FailWith(seccomp_rt::Errno::ENOSYS),
    )
    .expect("handler");
    F.install().expect("install");
    let first = 5000i64;
    for nr in first..first + i64::from(MAX_REPORTS) + 200 {
        raw(nr);
    }
    say("done\n");
}

/// A program that loops on the error of a trapped call (the same call, place and
/// arguments, forever).
fn dry_run_loop_is_stopped() {
    use seccomp_rt::sigsys::{Then, install};
    install(
        seccomp_rt::syscall_names!(),
        Then::FailWith(seccomp_rt::Errno::EPERM),
    )
    .expect("handler");
    TRAP_GETPID.install().expect("install");
    loop {
        // SAFETY: getpid.
        if unsafe { libc::syscall(libc::SYS_getpid) } >= 0 {
            break;
        }
    }
    say("not reached\n");
}

const SCENARIOS: &[(&str, fn())] = &[
    ("dry_run_reports_once", dry_run_reports_once),
    ("dry_run_output_is_bounded", dry_run_output_is_bounded),
    ("dry_run_loop_is_stopped", dry_run_loop_is_stopped),
    ("notify_errnos", notify_errnos),
    ("reporter_configs_run_out", reporter_configs_run_out),
    ("kill_sigsys_default", kill_sigsys_default),
    ("kill_sigsys_ignored", kill_sigsys_ignored),
    ("kill_sigsys_siginfo_handler", kill_sigsys_siginfo_handler),
    ("kill_sigsys_plain_handler", kill_sigsys_plain_handler),
    ("reinstall_race", reinstall_race),
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
    ("notify_taken_by_parent", notify_taken_by_parent),
];

/// Installs a `notify` filter, keeps the listener open for the parent to take,
/// and asks for getppid, which only the parent can answer.
fn notify_taken_by_parent() {
    static F: NotifyFilter = seccomp! { getppid => notify; default => allow; };
    match F.installer().tsync(false).install_with_listener() {
        Ok(listener) => std::mem::forget(listener),
        Err(e) => {
            say(&format!("skipped: {e}\n"));
            return;
        }
    }
    say(&format!("getppid {}\n", raw(libc::SYS_getppid)));
}

/// A parent takes the listener its child installed (`Listener::take_from`), waits
/// for the notification (`Listener::wait`), answers it, and sees the listener hang
/// up once the child is reaped.
#[test]
fn a_parent_takes_its_childs_listener() {
    use seccomp_rt::{Listener, Readiness};
    use std::io::Read;
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child",
            "--nocapture",
            "--test-threads=1",
            "--quiet",
        ])
        .env(seccomp_tests::SCENARIO_ENV, "notify_taken_by_parent")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    // A failed assertion must not leave the child waiting for an answer forever.
    struct KillOnPanic(u32);
    impl Drop for KillOnPanic {
        fn drop(&mut self) {
            if std::thread::panicking() {
                // SAFETY: a signal to our own child, by its pid.
                unsafe { libc::kill(self.0.cast_signed(), libc::SIGKILL) };
            }
        }
    }
    let _guard = KillOnPanic(pid);
    let started = std::time::Instant::now();
    let fd = loop {
        let found = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .into_iter()
            .flatten()
            .flatten()
            .find_map(|e| {
                let link = std::fs::read_link(e.path()).ok()?;
                (link.as_os_str() == "anon_inode:seccomp notify")
                    .then(|| e.file_name().to_str()?.parse::<i32>().ok())
                    .flatten()
            });
        if let Some(fd) = found {
            break Some(fd);
        }
        if child.try_wait().unwrap().is_some() || started.elapsed().as_secs() > 20 {
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    };
    let Some(fd) = fd else {
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let _ = child.kill();
        let _ = child.wait();
        assert!(out.contains("skipped"), "the child made no listener: {out}");
        eprintln!("SKIPPED a_parent_takes_its_childs_listener: {out}");
        return;
    };
    let listener = match Listener::take_from(i32::try_from(pid).unwrap(), fd) {
        Ok(l) => l,
        Err(seccomp_rt::Error::TakeFd {
            errno: libc::ENOSYS,
            ..
        }) => {
            let _ = child.kill();
            let _ = child.wait();
            eprintln!("SKIPPED a_parent_takes_its_childs_listener: no pidfd_getfd (Linux 5.6)");
            return;
        }
        Err(e) => panic!("take_from: {e}"),
    };
    // A descriptor that is not there is an error that says so.
    let missing = Listener::take_from(i32::try_from(pid).unwrap(), 1_000_000).unwrap_err();
    assert_eq!(
        missing,
        seccomp_rt::Error::TakeFd {
            call: "pidfd_getfd",
            errno: libc::EBADF
        }
    );
    assert_eq!(listener.wait(10_000), Ok(Readiness::Ready));
    let n = listener.recv().unwrap();
    assert_eq!(i64::from(n.data.nr), libc::SYS_getppid);
    // The calling thread (the harness runs the scenario in a thread of its own).
    assert!(
        std::path::Path::new(&format!("/proc/{pid}/task/{}", n.pid)).exists(),
        "{n:?}"
    );
    listener.respond(n.id, Response::Value(4242)).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", ended(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("getppid 4242\n"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // The child is reaped: no task uses the filter (Linux 5.8+ says so).
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let mut v = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    if (v.next().unwrap_or(0), v.next().unwrap_or(0)) >= (5, 8) {
        assert_eq!(listener.wait(10_000), Ok(Readiness::HungUp));
    }
}

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
        exit_group;
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

/// A SIGSYS sent with kill(2) is not a trapped syscall: with the default
/// disposition before the reporter, the process dies of it, unreported.
#[test]
fn a_sigsys_sent_with_kill_gets_the_default_disposition_unreported() {
    let o = run_scenario("child", "kill_sigsys_default");
    assert!(o.status.success(), "{}", ended(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("ended by signal {}\n", libc::SIGSYS)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("seccomp:"), "{err}");
}

/// Ignored before the reporter, a SIGSYS sent with kill(2) stays ignored: kill
/// returns 0 (the reporter did not write its return register) and nothing is
/// reported; a trapped getpid still is.
#[test]
fn a_sigsys_sent_with_kill_stays_ignored_and_leaves_registers_alone() {
    let o = run_scenario("child", "kill_sigsys_ignored");
    assert!(o.status.success(), "{}", ended(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!(
            "kill returned 0, errno 0; previous handler saw 0\ngetpid returned -1, errno {}\nended by exit 0\n",
            libc::EPERM
        )
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.matches("seccomp: trapped syscall").count(), 1, "{err}");
    assert!(err.contains("seccomp: trapped syscall getpid ("), "{err}");
}

/// A SIGSYS sent with kill(2) reaches the handler installed before the reporter,
/// with its siginfo (si_code SI_USER), and kill returns 0.
#[test]
fn a_sigsys_sent_with_kill_reaches_the_previous_siginfo_handler() {
    let o = run_scenario("child", "kill_sigsys_siginfo_handler");
    assert!(o.status.success(), "{}", ended(&o));
    let saw = i64::from(libc::SIGSYS) + 1000 * (i64::from(libc::SI_USER) + 1);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!(
            "kill returned 0, errno 0; previous handler saw {saw}\ngetpid returned -1, errno {}\nended by exit 0\n",
            libc::EPERM
        )
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.matches("seccomp: trapped syscall").count(), 1, "{err}");
}

/// As above, for a handler installed without SA_SIGINFO.
#[test]
fn a_sigsys_sent_with_kill_reaches_the_previous_plain_handler() {
    let o = run_scenario("child", "kill_sigsys_plain_handler");
    assert!(o.status.success(), "{}", ended(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!(
            "kill returned 0, errno 0; previous handler saw {}\ngetpid returned -1, errno {}\nended by exit 0\n",
            libc::SIGSYS,
            libc::EPERM
        )
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.matches("seccomp: trapped syscall").count(), 1, "{err}");
}

/// Reinstalling the reporter while trapped syscalls are reported: every report
/// reads one whole table — the target's (getpid named) or the one-entry one (getpid
/// unnamed) — never one table with the other's length ("torn").
#[test]
fn reinstalling_the_reporter_while_it_reports_never_mixes_two_tables() {
    let o = run_scenario("child", "reinstall_race");
    assert!(o.status.success(), "{}", ended(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with(&format!("{RACE_TRAPS} failed with EPERM; reinstalled ")),
        "{out}"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    let named = format!(
        "seccomp: trapped syscall getpid ({}), arch",
        libc::SYS_getpid
    );
    let unnamed = format!("seccomp: trapped syscall {}, arch", libc::SYS_getpid);
    let torn: Vec<&str> = err
        .lines()
        .filter(|l| !(l.starts_with(&named) || l.starts_with(&unnamed)))
        .collect();
    assert!(torn.is_empty(), "reports from a torn table: {torn:?}");
    // Each install starts a new dry run, which reports getpid once again.
    let lines = err.lines().count();
    assert!((1..=RACE_TRAPS).contains(&lines), "{lines} reports");
}

#[test]
fn a_dry_run_reports_each_syscall_once_with_its_arguments() {
    let o = run_scenario("child", "dry_run_reports_once");
    assert!(o.status.success(), "{}", ended(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "1000 failed\nagain\n");
    let err = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = err.lines().collect();
    // Once for the 1000 traps, once more after the second install.
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with(&format!(
            "seccomp: trapped syscall getpid ({}), arch",
            libc::SYS_getpid
        )),
        "{err}"
    );
    assert!(
        lines[0].ends_with(", args [0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666]")
            || !cfg!(target_arch = "x86_64"),
        "{err}"
    );
}

#[test]
fn a_dry_run_writes_a_bounded_number_of_reports() {
    let o = run_scenario("child", "dry_run_output_is_bounded");
    assert!(o.status.success(), "{}", ended(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    let max = seccomp_rt::sigsys::MAX_REPORTS as usize;
    assert_eq!(
        err.matches("seccomp: trapped syscall 5").count(),
        max,
        "{err}"
    );
    assert!(
        err.ends_with(&format!(
            "seccomp: {max} syscalls reported; further ones are not\n"
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), max + 1);
}

#[test]
fn a_program_looping_on_a_trapped_calls_error_is_stopped() {
    let o = run_scenario("child", "dry_run_loop_is_stopped");
    assert_eq!(ended(&o), "exit 159");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "seccomp: syscall getpid ({}) trapped {} times in a row at 0x",
            libc::SYS_getpid,
            seccomp_rt::sigsys::LOOP_LIMIT
        )) && err.contains("the program loops on the error it gets; exiting"),
        "{err}"
    );
    // Reported once, then the verdict: two lines, not 100 000.
    assert_eq!(err.lines().count(), 2, "{err}");
}

#[test]
fn the_reporter_keeps_a_bounded_number_of_configurations_and_says_when_they_run_out() {
    let o = run_scenario("child", "reporter_configs_run_out");
    assert!(o.status.success(), "{}", ended(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!(
            "one more: Err(ReporterConfigsExhausted {{ max: {} }}); the first again: Ok(())\n",
            seccomp_rt::sigsys::MAX_CONFIGS
        )
    );
}

#[test]
fn a_supervisor_s_errno_is_what_the_caller_gets() {
    let o = run_scenario("child", "notify_errnos");
    assert!(o.status.success(), "{}", ended(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!(
            "mknodat returned -1, errno {}\nmknodat returned -1, errno {}\nmknodat returned -1, errno 4095\n",
            libc::EPERM,
            libc::EROFS
        )
    );
}

/// Only 1..=4095 are errnos: 0 (success), negative values (the kernel would return
/// a positive value: success) and values past 4095 (the C library reads them as
/// results) cannot be made into one, so no answer meant as a denial succeeds.
#[test]
fn an_errno_is_from_1_to_4095_and_nothing_else() {
    use seccomp_rt::{Errno, Error};
    for v in (-5000..=5000).chain([i32::MIN, i32::MAX]) {
        assert_eq!(Errno::new(v), Errno::try_from(v).ok(), "{v}");
        match Errno::try_from(v) {
            Ok(e) => {
                assert!((1..=4095).contains(&v), "{v}");
                assert_eq!(e.get(), v);
                assert_eq!(i32::from(e), v);
            }
            Err(e) => {
                assert!(!(1..=4095).contains(&v), "{v}");
                assert_eq!(e, Error::InvalidErrno { value: v });
                assert!(e.to_string().contains("is not an errno"), "{e}");
            }
        }
    }
}

/// The runtime's `AUDIT_ARCH` is the native ABI of the generated description the
/// macro selects its programs by, and the program `seccomp!` chose for this target
/// admits exactly that ABI's calls: every other `AUDIT_ARCH`, and numbers of another
/// ABI sharing this one's, get `bad_arch` (kill).
#[test]
fn the_runtime_s_abi_is_the_native_one_and_the_macro_s_program_admits_only_it() {
    static F: Filter = seccomp! { default => allow; };
    let native = seccomp_bpf::arch::NATIVE.expect("the tests run on a target with an ABI");
    assert_eq!(seccomp_rt::AUDIT_ARCH, native.audit_arch);
    assert_eq!(
        seccomp_compiler::Arch::native().map(seccomp_compiler::Arch::as_str),
        Some(native.name)
    );
    #[allow(clippy::cast_possible_wrap)]
    let own = native.nr_first as i32;
    assert_eq!(
        F.evaluate(seccomp_rt::AUDIT_ARCH, own, [0; 6]),
        Action::Allow
    );
    for other in seccomp_bpf::arch::ARCHES {
        #[allow(clippy::cast_possible_wrap)]
        let nr = other.nr_first as i32;
        let want = if other.name == native.name {
            Action::Allow
        } else {
            Action::KillProcess
        };
        assert_eq!(
            F.evaluate(other.audit_arch, nr, [0; 6]),
            want,
            "{}",
            other.name
        );
    }
}
