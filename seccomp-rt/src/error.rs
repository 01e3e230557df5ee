use core::fmt;

/// Why a filter was not installed. Nothing is installed when an error is returned.
///
/// ```
/// let e = seccomp_rt::Error::Refused { errno: libc::EACCES };
/// assert!(e.to_string().contains("CAP_SYS_ADMIN"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// `prctl(PR_SET_NO_NEW_PRIVS)` failed with this errno.
    NoNewPrivs {
        /// The errno.
        errno: i32,
    },
    /// `seccomp(SECCOMP_SET_MODE_FILTER)` (or `prctl(PR_SET_SECCOMP)`) failed.
    Refused {
        /// The errno.
        errno: i32,
    },
    /// With TSYNC, another thread could not be synchronised (it has a filter of its
    /// own that is not an ancestor of ours, or is in strict mode).
    TsyncFailed {
        /// That thread's id.
        tid: i32,
    },
    /// TSYNC was asked for, `seccomp(2)` is missing (Linux before 3.17), and the
    /// process already has several threads: `prctl` could filter only this one.
    TsyncUnavailable,
    /// The kernel has no seccomp filter mode (`CONFIG_SECCOMP_FILTER` is off).
    Unsupported,
    /// The program returns an action this kernel does not know
    /// (`SECCOMP_GET_ACTION_AVAIL`): `kill_process` and `log` need Linux 4.14,
    /// `notify` 5.0.
    ActionUnavailable {
        /// The action.
        action: seccomp_bpf::ret::Action,
    },
    /// The program uses `notify`: install it with a listener
    /// ([`NotifyFilter::install`](crate::NotifyFilter::install)).
    NeedsListener,
    /// A listener operation failed with this errno.
    Listener {
        /// The errno: `ENOENT` when the notifying thread is gone, `EINTR`, …
        errno: i32,
    },
    /// The value at this position of a template's bind list names no parameter of
    /// the policy, or one named already.
    UnknownParameter {
        /// Its position in the list.
        position: usize,
    },
    /// A runtime parameter's value does not fit what the policy compares it with.
    ParameterOutOfRange {
        /// The parameter.
        name: &'static str,
        /// The smallest value it admits.
        min: i128,
        /// The largest value it admits.
        max: i128,
    },
    /// [`Listener::take_from`](crate::Listener::take_from) failed: `call` is
    /// `pidfd_open` or `pidfd_getfd`.
    TakeFd {
        /// The syscall that failed.
        call: &'static str,
        /// Its errno.
        errno: i32,
    },
    /// `seccomp(SECCOMP_SET_MODE_STRICT)` failed with this errno.
    Strict {
        /// The errno.
        errno: i32,
    },
    /// [`sigsys::install`](crate::sigsys::install) was given more different
    /// configurations (names, `Then`, previous disposition) than it keeps in the life
    /// of a process; the reporter in force is unchanged.
    ReporterConfigsExhausted {
        /// How many it keeps ([`sigsys::MAX_CONFIGS`](crate::sigsys::MAX_CONFIGS)).
        max: usize,
    },
    /// [`Errno::try_from`](crate::Errno) was given a value that is not an errno: an
    /// errno is from 1 to 4095 (0 would be success, and the C library takes other
    /// values for results, not errors).
    InvalidErrno {
        /// The value.
        value: i32,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::NoNewPrivs { errno } => write!(f, "prctl(PR_SET_NO_NEW_PRIVS) failed (errno {errno})"),
            Error::Refused { errno } => {
                let why = match errno {
                    libc::EINVAL => "EINVAL: the kernel refused the program or a flag it does not know (flags need Linux 3.17+ for TSYNC, 4.14+ for LOG, 4.17+ for SPEC_ALLOW)",
                    libc::EACCES => "EACCES: without PR_SET_NO_NEW_PRIVS, installing a filter needs CAP_SYS_ADMIN",
                    libc::EFAULT => "EFAULT: the program's address is invalid",
                    libc::ENOMEM => "ENOMEM: out of memory, or the filters attached to this thread would exceed the kernel's limit of 32768 instructions in total (each filter counts 4 more)",
                    libc::ESRCH => "ESRCH: another thread could not be synchronised",
                    libc::EBUSY => "EBUSY: a listener was asked for, but another filter of this process already has one",
                    libc::ENOSYS => "ENOSYS: this kernel has no seccomp(2)",
                    _ => "",
                };
                if why.is_empty() {
                    write!(f, "the kernel refused to install the filter (errno {errno})")
                } else {
                    write!(f, "the kernel refused to install the filter: {why}")
                }
            }
            Error::TsyncFailed { tid } => write!(f, "thread {tid} could not be synchronised to the new filter (it has an unrelated filter of its own); nothing was installed"),
            Error::TsyncUnavailable => f.write_str("this kernel has no seccomp(2) (Linux before 3.17), so the filter cannot be applied to the threads already running; install it before starting threads, or turn TSYNC off"),
            Error::Unsupported => f.write_str("this kernel has no seccomp filter mode (CONFIG_SECCOMP_FILTER is off)"),
            Error::ActionUnavailable { action } => write!(f, "this kernel does not know the action `{}` the filter returns (kill_process and log need Linux 4.14, notify 5.0); nothing was installed", action.name()),
            Error::NeedsListener => f.write_str("the filter uses `notify`: install it with a listener (NotifyFilter::install), or its notified syscalls would only fail with ENOSYS"),
            Error::Listener { errno } => write!(f, "the seccomp listener failed (errno {errno}{})", if errno == libc::ENOENT { ": the notifying thread is gone" } else { "" }),
            Error::UnknownParameter { position } => write!(f, "value #{position} of the bind list names no parameter of this policy, or one given already"),
            Error::ParameterOutOfRange { name, min, max } => {
                write!(f, "the value of `${name}` does not fit: it must be from {} to {}", Wide(min), Wide(max))
            }
            Error::TakeFd { call, errno } => {
                let why = match errno {
                    libc::ENOSYS if call == "pidfd_getfd" => ": this kernel has no pidfd_getfd (Linux 5.6+)",
                    libc::ENOSYS => ": this kernel has no pidfd_open (Linux 5.3+)",
                    libc::EPERM => ": ptrace access to the process is denied (Yama's kernel.yama.ptrace_scope is 2 or 3, or the process is not ours)",
                    libc::ESRCH => ": the process is gone",
                    libc::EBADF => ": the process has no such descriptor",
                    _ => "",
                };
                write!(f, "{call} failed (errno {errno}){why}")
            }
            Error::Strict { errno } => write!(f, "entering seccomp strict mode failed (errno {errno})"),
            Error::InvalidErrno { value } => write!(f, "{value} is not an errno: an errno is from 1 to 4095 (a syscall answered with 0 or with a value outside -4095..=-1 succeeds)"),
            Error::ReporterConfigsExhausted { max } => write!(f, "sigsys::install was already given {max} different configurations, as many as a process can have (each is kept for good, since a signal handler may still read it); the reporter in force is unchanged"),
        }
    }
}

impl core::error::Error for Error {}

/// A bound of a parameter, from `i64::MIN` to `u64::MAX`, printed without the 128-bit
/// formatting code (over a kilobyte of it would come into every binary).
struct Wide(i128);

impl fmt::Display for Wide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 0 {
            f.write_str("-")?;
        }
        // Bounds are from `i64::MIN` to `u64::MAX`: the magnitude fits a `u64`.
        #[allow(clippy::cast_possible_truncation)]
        fmt::Display::fmt(&(self.0.unsigned_abs() as u64), f)
    }
}
