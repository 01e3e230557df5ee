use crate::error::Error;
use crate::filter::Filter;
use crate::sys;

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
pub struct Installer {
    filter: Filter,
    tsync: bool,
    no_new_privs: bool,
    log: bool,
    spec_allow: bool,
}

impl Installer {
    pub(crate) const fn new(filter: Filter) -> Installer {
        Installer {
            filter,
            tsync: true,
            no_new_privs: true,
            log: false,
            spec_allow: false,
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
    pub const fn tsync(mut self, on: bool) -> Installer {
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
    pub const fn no_new_privs(mut self, on: bool) -> Installer {
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
    pub const fn log(mut self, on: bool) -> Installer {
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
    pub const fn spec_allow(mut self, on: bool) -> Installer {
        self.spec_allow = on;
        self
    }

    /// Checks the program, sets `NO_NEW_PRIVS` if asked, and installs the filter
    /// with `seccomp(2)`; where `seccomp(2)` is missing (Linux before 3.17), with
    /// `prctl(PR_SET_SECCOMP)`, which takes no flags.
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
    /// What was refused, and why; nothing is installed then.
    pub fn install(self) -> Result<(), Error> {
        self.filter.check()?;
        if self.no_new_privs {
            sys::set_no_new_privs().map_err(|errno| Error::NoNewPrivs { errno })?;
        }
        let mut flags = 0;
        if self.tsync {
            flags |= sys::FLAG_TSYNC;
        }
        if self.log {
            flags |= sys::FLAG_LOG;
        }
        if self.spec_allow {
            flags |= sys::FLAG_SPEC_ALLOW;
        }
        let program = self.filter.program();
        match sys::seccomp_set_filter(flags, program) {
            Ok(0) => Ok(()),
            Ok(tid) => Err(Error::TsyncFailed {
                tid: i32::try_from(tid).unwrap_or(i32::MAX),
            }),
            Err(libc::ENOSYS) => {
                if self.log || self.spec_allow {
                    return Err(Error::Refused {
                        errno: libc::ENOSYS,
                    });
                }
                if self.tsync && sys::thread_count().is_none_or(|n| n > 1) {
                    return Err(Error::TsyncUnavailable);
                }
                match sys::prctl_set_filter(program) {
                    Ok(()) => Ok(()),
                    Err(libc::EINVAL) => Err(Error::Unsupported),
                    Err(errno) => Err(Error::Refused { errno }),
                }
            }
            Err(errno) => Err(Error::Refused { errno }),
        }
    }
}
