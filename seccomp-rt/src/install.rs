use seccomp_bpf::op;
use seccomp_bpf::ret::{self, Action};

use crate::error::Error;
use crate::notify::Listener;
use crate::sys;
use seccomp_bpf::SockFilter;

/// How to install a filter: the flags of `seccomp(SECCOMP_SET_MODE_FILTER)`.
///
/// ```no_run
/// use seccomp_rt::{Filter, seccomp};
/// static F: Filter = seccomp! { @rust_runtime; write: fd == 1; default => kill; };
/// F.installer().tsync(false).log(true).install()?;
/// # Ok::<(), seccomp_rt::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
#[must_use]
pub struct Installer<'a> {
    program: &'a [SockFilter],
    tsync: bool,
    no_new_privs: bool,
    log: bool,
    spec_allow: bool,
    tsync_esrch: bool,
    wait_killable_recv: bool,
}

impl<'a> Installer<'a> {
    pub(crate) const fn new(program: &'a [SockFilter]) -> Installer<'a> {
        Installer {
            program,
            tsync: true,
            no_new_privs: true,
            log: false,
            spec_allow: false,
            tsync_esrch: false,
            wait_killable_recv: false,
        }
    }

    /// `SECCOMP_FILTER_FLAG_TSYNC` (default on): install on every thread of the
    /// process at once, or on none.
    ///
    /// ```no_run
    /// # use seccomp_rt::{Filter, seccomp};
    /// # static F: Filter = seccomp! { default => allow; };
    /// F.installer().tsync(false).install()?;
    /// # Ok::<(), seccomp_rt::Error>(())
    /// ```
    pub const fn tsync(mut self, on: bool) -> Installer<'a> {
        self.tsync = on;
        self
    }

    /// Whether to set `PR_SET_NO_NEW_PRIVS` first (default on). Without it, the
    /// kernel installs a filter only for a caller with `CAP_SYS_ADMIN`.
    ///
    /// ```no_run
    /// # use seccomp_rt::{Filter, seccomp};
    /// # static F: Filter = seccomp! { default => allow; };
    /// F.installer().no_new_privs(false).install()?; // needs CAP_SYS_ADMIN
    /// # Ok::<(), seccomp_rt::Error>(())
    /// ```
    pub const fn no_new_privs(mut self, on: bool) -> Installer<'a> {
        self.no_new_privs = on;
        self
    }

    /// `SECCOMP_FILTER_FLAG_LOG` (Linux 4.14+): log every action but `allow`.
    ///
    /// ```no_run
    /// # use seccomp_rt::{Filter, seccomp};
    /// # static F: Filter = seccomp! { default => allow; };
    /// F.installer().log(true).install()?;
    /// # Ok::<(), seccomp_rt::Error>(())
    /// ```
    pub const fn log(mut self, on: bool) -> Installer<'a> {
        self.log = on;
        self
    }

    /// `SECCOMP_FILTER_FLAG_SPEC_ALLOW` (Linux 4.17+): do not turn on the
    /// speculative-store-bypass mitigation that installing a filter otherwise enables.
    ///
    /// ```no_run
    /// # use seccomp_rt::{Filter, seccomp};
    /// # static F: Filter = seccomp! { default => allow; };
    /// F.installer().spec_allow(true).install()?;
    /// # Ok::<(), seccomp_rt::Error>(())
    /// ```
    pub const fn spec_allow(mut self, on: bool) -> Installer<'a> {
        self.spec_allow = on;
        self
    }

    /// `SECCOMP_FILTER_FLAG_TSYNC_ESRCH` (Linux 5.7+): when TSYNC fails, fail with
    /// `ESRCH` instead of returning the thread's id. Always on with a listener, where
    /// the kernel requires it together with TSYNC.
    ///
    /// ```no_run
    /// # use seccomp_rt::{Filter, seccomp};
    /// # static F: Filter = seccomp! { default => allow; };
    /// F.installer().tsync_esrch(true).install()?;
    /// # Ok::<(), seccomp_rt::Error>(())
    /// ```
    pub const fn tsync_esrch(mut self, on: bool) -> Installer<'a> {
        self.tsync_esrch = on;
        self
    }

    /// `SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV` (Linux 5.19+): once the supervisor has
    /// received a notification, the waiting caller can only be interrupted by a fatal
    /// signal. Only with a listener.
    ///
    /// ```no_run
    /// # use seccomp_rt::{NotifyFilter, seccomp};
    /// # static F: NotifyFilter = seccomp! { mknodat => notify; default => allow; };
    /// let listener = F.installer().wait_killable_recv(true).install_with_listener()?;
    /// # let _ = listener;
    /// # Ok::<(), seccomp_rt::Error>(())
    /// ```
    pub const fn wait_killable_recv(mut self, on: bool) -> Installer<'a> {
        self.wait_killable_recv = on;
        self
    }

    /// Checks the program and that the kernel knows every action it returns, sets
    /// `NO_NEW_PRIVS` if asked, and installs the filter with `seccomp(2)`; where
    /// `seccomp(2)` is missing (Linux before 3.17), with `prctl(PR_SET_SECCOMP)`, which
    /// takes no flags.
    ///
    /// ```no_run
    /// # use seccomp_rt::{Filter, seccomp};
    /// # static F: Filter = seccomp! { default => allow; };
    /// F.installer().install()?;
    /// # Ok::<(), seccomp_rt::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// What was refused, and why; no filter is installed then. A program that uses
    /// `notify` needs [`Installer::install_with_listener`] (`NeedsListener`).
    ///
    /// What a failure leaves behind: every check that can be made without changing
    /// the process — the program's actions (`ActionUnavailable`), the flags and
    /// whether `seccomp(2)` is open to the caller (`Refused`, asked of the kernel
    /// with a null program) — comes before `PR_SET_NO_NEW_PRIVS`, so those failures
    /// leave the process exactly as it was. Only a failure of the install itself
    /// after that (`TsyncFailed`: another thread's filters diverge; `Refused` with
    /// `ENOMEM`, or `EACCES` when `no_new_privs(false)` and no `CAP_SYS_ADMIN`)
    /// leaves `NO_NEW_PRIVS` set, which no process can clear; nothing else changes.
    pub fn install(self) -> Result<(), Error> {
        if returns(self.program, Action::Notify) {
            return Err(Error::NeedsListener);
        }
        self.run(0).map(drop)
    }

    /// Installs the filter with `SECCOMP_FILTER_FLAG_NEW_LISTENER` (Linux 5.0+) and
    /// returns the listener its `notify` rules report to.
    ///
    /// ```no_run
    /// # use seccomp_rt::{NotifyFilter, seccomp};
    /// # static F: NotifyFilter = seccomp! { mknodat => notify; default => allow; };
    /// let listener = F.installer().install_with_listener()?;
    /// # let _ = listener;
    /// # Ok::<(), seccomp_rt::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Installer::install`].
    pub fn install_with_listener(self) -> Result<Listener, Error> {
        let mut flags = libc::SECCOMP_FILTER_FLAG_NEW_LISTENER;
        if self.tsync {
            // The kernel takes TSYNC with NEW_LISTENER only together with TSYNC_ESRCH,
            // so that the return value is unambiguously the listener.
            flags |= libc::SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
        }
        if self.wait_killable_recv {
            flags |= sys::FLAG_WAIT_KILLABLE_RECV;
        }
        let fd = self.run(flags)?;
        // SAFETY: the kernel just gave us this listener descriptor.
        Ok(unsafe {
            Listener::from_raw_fd(
                i32::try_from(fd).map_err(|_| Error::Refused { errno: libc::EBADF })?,
            )
        })
    }

    fn run(self, extra: libc::c_ulong) -> Result<libc::c_long, Error> {
        // The program passed `seccomp_bpf::check` when its `Filter` was made.
        probe_actions(self.program)?;
        let mut flags = extra;
        if self.tsync {
            flags |= sys::FLAG_TSYNC;
        }
        if self.tsync_esrch {
            flags |= libc::SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
        }
        if self.log {
            flags |= sys::FLAG_LOG;
        }
        if self.spec_allow {
            flags |= sys::FLAG_SPEC_ALLOW;
        }
        // `NO_NEW_PRIVS` cannot be cleared once set: first ask the kernel whether it
        // takes these flags from this caller at all (an unknown flag, an earlier
        // filter denying seccomp(2)), so that such a refusal leaves the process as it
        // was. ENOSYS: no seccomp(2); the prctl fallback below decides.
        match sys::seccomp_probe_flags(flags) {
            Ok(()) | Err(libc::ENOSYS) => {}
            Err(errno) => return Err(Error::Refused { errno }),
        }
        if self.no_new_privs {
            sys::set_no_new_privs().map_err(|errno| Error::NoNewPrivs { errno })?;
        }
        let program = self.program;
        let listener = extra & libc::SECCOMP_FILTER_FLAG_NEW_LISTENER != 0;
        match sys::seccomp_set_filter(flags, program) {
            Ok(0) => Ok(0),
            Ok(fd) if listener => Ok(fd),
            Ok(tid) => Err(Error::TsyncFailed {
                tid: i32::try_from(tid).unwrap_or(i32::MAX),
            }),
            Err(libc::ENOSYS) => {
                if flags & !sys::FLAG_TSYNC != 0 {
                    return Err(Error::Refused {
                        errno: libc::ENOSYS,
                    });
                }
                if self.tsync && sys::thread_count().is_none_or(|n| n > 1) {
                    return Err(Error::TsyncUnavailable);
                }
                match sys::prctl_set_filter(program) {
                    Ok(()) => Ok(0),
                    Err(libc::EINVAL) => Err(Error::Unsupported),
                    Err(errno) => Err(Error::Refused { errno }),
                }
            }
            Err(errno) => Err(Error::Refused { errno }),
        }
    }
}

/// Whether some `ret` of the program returns `action`.
fn returns(program: &[SockFilter], action: Action) -> bool {
    program
        .iter()
        .any(|i| i.code == op::RET_K && Action::from_ret(i.k) == action)
}

/// Asks the kernel (`SECCOMP_GET_ACTION_AVAIL`, Linux 4.14+) whether it knows every
/// action the program returns: a kernel before 4.14 does not know `kill_process` or
/// `log`, one before 5.0 `notify`, and would treat them as something else.
fn probe_actions(program: &[SockFilter]) -> Result<(), Error> {
    let mut asked: [u32; 8] = [u32::MAX; 8];
    for i in program {
        if i.code != op::RET_K {
            continue;
        }
        let action = i.k & ret::ACTION_FULL;
        if asked.contains(&action) {
            continue;
        }
        if let Some(slot) = asked.iter_mut().find(|a| **a == u32::MAX) {
            *slot = action;
        }
        // Only EOPNOTSUPP says the action is unknown; a kernel without the probe
        // (EINVAL, ENOSYS) or a refusal (a filter denying seccomp(2)) says nothing,
        // and the install itself reports what the kernel does.
        if sys::action_avail(action) == Err(libc::EOPNOTSUPP) {
            return Err(Error::ActionUnavailable {
                action: Action::from_ret(action),
            });
        }
    }
    Ok(())
}
