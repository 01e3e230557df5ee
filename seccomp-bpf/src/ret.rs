//! The values a seccomp filter returns (`SECCOMP_RET_*`, `linux/seccomp.h`).
//!
//! The high 16 bits select the action, the low 16 bits carry its data.

/// Kill the whole process (Linux 4.14+).
pub const KILL_PROCESS: u32 = 0x8000_0000;
/// Kill the calling thread.
pub const KILL_THREAD: u32 = 0x0000_0000;
/// Send `SIGSYS` to the thread.
pub const TRAP: u32 = 0x0003_0000;
/// Fail the syscall with the errno in the data bits.
pub const ERRNO: u32 = 0x0005_0000;
/// Pass the syscall to a user-space supervisor (Linux 5.0+).
pub const USER_NOTIF: u32 = 0x7fc0_0000;
/// Pass the syscall to a `ptrace` tracer.
pub const TRACE: u32 = 0x7ff0_0000;
/// Allow, after logging (Linux 4.14+).
pub const LOG: u32 = 0x7ffc_0000;
/// Allow.
pub const ALLOW: u32 = 0x7fff_0000;
/// The action bits.
pub const ACTION_FULL: u32 = 0xffff_0000;
/// The data bits.
pub const DATA: u32 = 0x0000_ffff;
/// The largest errno the kernel passes on; larger data is capped to it (`MAX_ERRNO`).
pub const MAX_ERRNO: u16 = 4095;

/// What the kernel does with a filter's return value.
///
/// ```
/// use seccomp_bpf::ret::{self, Action};
/// assert_eq!(Action::from_ret(ret::ERRNO | 1), Action::Errno(1));
/// assert_eq!(Action::from_ret(ret::ERRNO | 9999), Action::Errno(4095));
/// assert_eq!(Action::from_ret(0x1234_0000), Action::KillProcess);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// `SECCOMP_RET_KILL_PROCESS`, and every action value the kernel does not know.
    KillProcess,
    /// `SECCOMP_RET_KILL_THREAD`.
    KillThread,
    /// `SECCOMP_RET_TRAP` with its data (`si_errno` of the `SIGSYS`).
    Trap(u16),
    /// `SECCOMP_RET_ERRNO`, the errno as the kernel caps it.
    Errno(u16),
    /// `SECCOMP_RET_USER_NOTIF`.
    Notify,
    /// `SECCOMP_RET_TRACE` with its data.
    Trace(u16),
    /// `SECCOMP_RET_LOG`.
    Log,
    /// `SECCOMP_RET_ALLOW`.
    Allow,
}

impl Action {
    /// The action the kernel takes for a filter's return value (`__seccomp_filter`).
    #[must_use]
    pub const fn from_ret(ret: u32) -> Action {
        let data = (ret & DATA) as u16;
        match ret & ACTION_FULL {
            KILL_THREAD => Action::KillThread,
            TRAP => Action::Trap(data),
            ERRNO => Action::Errno(if data > MAX_ERRNO { MAX_ERRNO } else { data }),
            USER_NOTIF => Action::Notify,
            TRACE => Action::Trace(data),
            LOG => Action::Log,
            ALLOW => Action::Allow,
            _ => Action::KillProcess,
        }
    }

    /// The canonical return value of the action.
    #[must_use]
    pub const fn to_ret(self) -> u32 {
        match self {
            Action::KillProcess => KILL_PROCESS,
            Action::KillThread => KILL_THREAD,
            Action::Trap(d) => TRAP | d as u32,
            Action::Errno(e) => ERRNO | e as u32,
            Action::Notify => USER_NOTIF,
            Action::Trace(d) => TRACE | d as u32,
            Action::Log => LOG,
            Action::Allow => ALLOW,
        }
    }
}

impl Action {
    /// The action's name in the policy language, without its datum.
    ///
    /// ```
    /// use seccomp_bpf::ret::Action;
    /// assert_eq!(Action::Errno(1).name(), "errno");
    /// assert_eq!(Action::KillProcess.name(), "kill_process");
    /// ```
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Action::KillProcess => "kill_process",
            Action::KillThread => "kill_thread",
            Action::Trap(_) => "trap",
            Action::Errno(_) => "errno",
            Action::Notify => "notify",
            Action::Trace(_) => "trace",
            Action::Log => "log",
            Action::Allow => "allow",
        }
    }
}

impl core::fmt::Display for Action {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Action::KillProcess => f.write_str("kill_process"),
            Action::KillThread => f.write_str("kill_thread"),
            Action::Trap(d) => write!(f, "trap({d})"),
            Action::Errno(e) => write!(f, "errno({e})"),
            Action::Notify => f.write_str("notify"),
            Action::Trace(d) => write!(f, "trace({d})"),
            Action::Log => f.write_str("log"),
            Action::Allow => f.write_str("allow"),
        }
    }
}
