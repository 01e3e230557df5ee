//! User notifications: a supervisor decides, in user space, what a filtered
//! syscall does (Linux 5.0+; `SECCOMP_RET_USER_NOTIF`).

use crate::errno::Errno;
use crate::error::Error;
use crate::filter::Filter;
use crate::install::Installer;
use crate::sys;
use seccomp_bpf::SeccompData;

/// A filter that hands some syscalls to a supervisor (its policy uses `notify`).
///
/// `seccomp!` gives this type, rather than [`Filter`], to every policy that uses
/// `notify`: installing it returns the [`Listener`] the supervisor needs, so the
/// listener cannot be forgotten (a notified syscall without a listener would only
/// fail with `ENOSYS`).
///
/// ```no_run
/// use seccomp_rt::{NotifyFilter, Response, seccomp};
/// static F: NotifyFilter = seccomp! { mknodat => notify; default => allow; };
/// let listener = F.install()?;
/// # let _ = listener;
/// # Ok::<(), seccomp_rt::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct NotifyFilter {
    filter: Filter,
}

impl NotifyFilter {
    /// A filter over a program that uses `SECCOMP_RET_USER_NOTIF`.
    ///
    /// ```
    /// use seccomp_rt::{NotifyFilter, SockFilter};
    /// static P: [SockFilter; 1] = [SockFilter::stmt(0x06, 0x7fc0_0000)];
    /// static F: NotifyFilter = NotifyFilter::from_static(&P);
    /// assert_eq!(F.filter().len(), 1);
    /// ```
    #[must_use]
    pub const fn from_static(program: &'static [seccomp_bpf::SockFilter]) -> NotifyFilter {
        NotifyFilter {
            filter: Filter::from_static(program),
        }
    }

    /// The filter, to evaluate or print it.
    ///
    /// ```
    /// use seccomp_rt::{Action, NotifyFilter, seccomp, AUDIT_ARCH};
    /// static F: NotifyFilter = seccomp! { mknodat => notify; default => allow; };
    /// let mknodat = libc::SYS_mknodat as i32;
    /// assert_eq!(F.filter().evaluate(AUDIT_ARCH, mknodat, [0; 6]), Action::Notify);
    /// ```
    #[must_use]
    pub const fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Installs the filter (TSYNC, `NO_NEW_PRIVS`) and returns its listener.
    ///
    /// ```no_run
    /// use seccomp_rt::{NotifyFilter, seccomp};
    /// static F: NotifyFilter = seccomp! { mknodat => notify; default => allow; };
    /// let listener = F.install()?;
    /// # let _ = listener;
    /// # Ok::<(), seccomp_rt::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Filter::install`]; `Refused { errno: EBUSY }` if the process already has a
    /// listener.
    pub fn install(&self) -> Result<Listener, Error> {
        self.installer().install_with_listener()
    }

    /// An installer, for other flags.
    ///
    /// ```no_run
    /// use seccomp_rt::{NotifyFilter, seccomp};
    /// static F: NotifyFilter = seccomp! { mknodat => notify; default => allow; };
    /// let listener = F.installer().wait_killable_recv(true).install_with_listener()?;
    /// # let _ = listener;
    /// # Ok::<(), seccomp_rt::Error>(())
    /// ```
    pub const fn installer(&self) -> Installer<'static> {
        self.filter.installer()
    }
}

/// The supervisor's end: a file descriptor to receive notifications from and
/// answer them on. Closing it (dropping it) makes every waiting syscall fail with
/// `ENOSYS`.
#[derive(Debug)]
pub struct Listener {
    fd: i32,
}

/// One syscall waiting for the supervisor's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notification {
    /// The notification's id, for [`Listener::respond`] and [`Listener::id_valid`].
    pub id: u64,
    /// The calling thread's id, in the supervisor's pid namespace.
    pub pid: u32,
    /// The syscall, as the filter saw it.
    pub data: SeccompData,
}

/// The supervisor's answer to a notification.
///
/// ```no_run
/// use seccomp_rt::{Errno, Response};
/// # fn f(l: &seccomp_rt::Listener) -> Result<(), seccomp_rt::Error> {
/// let n = l.recv()?;
/// let answer = if n.data.args[2] == 0 {
///     Response::Value(0)
/// } else {
///     Response::Errno(Errno::EROFS)
/// };
/// l.respond(n.id, answer)?;
/// // An errno known only at run time is checked: 0 or a negative value is an error.
/// # let from_elsewhere = libc::EACCES;
/// let e = Errno::try_from(from_elsewhere)?;
/// # let _ = e;
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response {
    /// The syscall returns this value, without running. (The C library reads a
    /// value from -4095 to -1 as an error; to fail, say [`Response::Errno`].)
    Value(i64),
    /// The syscall fails with this errno, without running: it returns `-errno`.
    /// [`Errno`] holds only 1 to 4095, so this answer always makes the call fail.
    Errno(Errno),
    /// The syscall runs as if no filter had stopped it. Only safe when nothing the
    /// supervisor checked can change before the kernel reads it again (pointers can).
    Continue,
}

impl Listener {
    /// Takes ownership of a listener descriptor (received from another process).
    ///
    /// ```no_run
    /// # let fd = 3;
    /// // SAFETY: `fd` is a seccomp listener this process owns.
    /// let listener = unsafe { seccomp_rt::Listener::from_raw_fd(fd) };
    /// # let _ = listener;
    /// ```
    ///
    /// # Safety
    ///
    /// `fd` must be a seccomp listener descriptor that nothing else closes.
    #[must_use]
    pub const unsafe fn from_raw_fd(fd: i32) -> Listener {
        Listener { fd }
    }

    /// The descriptor (still owned by the listener).
    ///
    /// ```no_run
    /// # fn f(l: &seccomp_rt::Listener) { let _fd = l.as_raw_fd(); }
    /// ```
    #[must_use]
    pub const fn as_raw_fd(&self) -> i32 {
        self.fd
    }

    /// Waits for the next notification.
    ///
    /// ```no_run
    /// # fn f(l: &seccomp_rt::Listener) -> Result<(), seccomp_rt::Error> {
    /// let n = l.recv()?;
    /// println!("pid {} made syscall {}", n.pid, n.data.nr);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// `Listener { errno }`: `EINTR`, or `ENOENT` when the caller died before it was read.
    pub fn recv(&self) -> Result<Notification, Error> {
        // SAFETY: all-zero is a valid `seccomp_notif`, and the kernel wants it zeroed.
        let mut n: libc::seccomp_notif = unsafe { core::mem::zeroed() };
        sys::ioctl(self.fd, libc::SECCOMP_IOCTL_NOTIF_RECV, &raw mut n)
            .map_err(|errno| Error::Listener { errno })?;
        let d = n.data;
        Ok(Notification {
            id: n.id,
            pid: n.pid,
            data: SeccompData {
                nr: d.nr,
                arch: d.arch,
                instruction_pointer: d.instruction_pointer,
                args: d.args,
            },
        })
    }

    /// Whether the notification is still pending: its caller has not died or been
    /// interrupted. Check it after reading the caller's memory and before acting on
    /// what was read.
    ///
    /// ```no_run
    /// # fn f(l: &seccomp_rt::Listener, n: seccomp_rt::Notification) {
    /// if l.id_valid(n.id) { /* the caller still waits */ }
    /// # }
    /// ```
    #[must_use]
    pub fn id_valid(&self, id: u64) -> bool {
        let mut id = id;
        sys::ioctl(self.fd, libc::SECCOMP_IOCTL_NOTIF_ID_VALID, &raw mut id).is_ok()
    }

    /// Answers a notification.
    ///
    /// ```no_run
    /// # fn f(l: &seccomp_rt::Listener) -> Result<(), seccomp_rt::Error> {
    /// let n = l.recv()?;
    /// l.respond(n.id, seccomp_rt::Response::Errno(seccomp_rt::Errno::EPERM))?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// `Listener { errno }`: `ENOENT` when the caller is gone.
    pub fn respond(&self, id: u64, response: Response) -> Result<(), Error> {
        let (val, error, flags) = match response {
            Response::Value(v) => (v, 0, 0),
            Response::Errno(e) => (0, -e.get(), 0),
            Response::Continue => (0, 0, libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32),
        };
        let mut resp = libc::seccomp_notif_resp {
            id,
            val,
            error,
            flags,
        };
        sys::ioctl(self.fd, libc::SECCOMP_IOCTL_NOTIF_SEND, &raw mut resp)
            .map(drop)
            .map_err(|errno| Error::Listener { errno })
    }

    /// Installs `fd` (of the supervisor) into the caller's descriptor table; returns
    /// its number there. With `target`, at that number (replacing what is there).
    ///
    /// ```no_run
    /// # fn f(l: &seccomp_rt::Listener, id: u64, fd: i32) -> Result<(), seccomp_rt::Error> {
    /// let theirs = l.add_fd(id, fd, None, true)?;
    /// l.respond(id, seccomp_rt::Response::Value(i64::from(theirs)))?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// `Listener { errno }`.
    pub fn add_fd(
        &self,
        id: u64,
        fd: i32,
        target: Option<i32>,
        cloexec: bool,
    ) -> Result<i32, Error> {
        let mut a = libc::seccomp_notif_addfd {
            id,
            flags: if target.is_some() {
                libc::SECCOMP_ADDFD_FLAG_SETFD as u32
            } else {
                0
            },
            srcfd: fd as u32,
            newfd: target.unwrap_or(0) as u32,
            newfd_flags: if cloexec { libc::O_CLOEXEC as u32 } else { 0 },
        };
        sys::ioctl(self.fd, libc::SECCOMP_IOCTL_NOTIF_ADDFD, &raw mut a)
            .map_err(|errno| Error::Listener { errno })
    }
}

/// What [`Listener::wait`] saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// A notification can be received: [`Listener::recv`] does not block.
    Ready,
    /// No task uses the filter any more (every one has exited and been reaped):
    /// no notification will ever come (Linux 5.8+; older kernels never say so).
    HungUp,
    /// The time given passed with neither.
    TimedOut,
}

impl Listener {
    /// Takes a copy of the listener descriptor `fd` of process `pid`
    /// (`pidfd_open`, Linux 5.3, then `pidfd_getfd`, Linux 5.6). The kernel allows
    /// it where `ptrace` attaching would be allowed: for a parent on its child
    /// under Yama's `ptrace_scope` 0 or 1, not under 2 or 3 without
    /// `CAP_SYS_PTRACE`.
    ///
    /// This is how a parent supervises a child that installed a `notify` filter
    /// itself (after `fork`, before `exec`): the child's next syscall waits for the
    /// parent, so the descriptor is still there to take.
    ///
    /// ```no_run
    /// # let (child, fd) = (1234, 3);
    /// let listener = seccomp_rt::Listener::take_from(child, fd)?;
    /// let n = listener.recv()?;
    /// listener.respond(n.id, seccomp_rt::Response::Continue)?;
    /// # Ok::<(), seccomp_rt::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// `TakeFd { call, errno }`: `ENOSYS` from `pidfd_getfd` on kernels before
    /// 5.6 (from `pidfd_open` before 5.3), `EPERM` when ptrace access is denied,
    /// `ESRCH` when the process is gone, `EBADF` when it has no such descriptor.
    /// The descriptor is not checked to be a listener: see [`Listener::from_raw_fd`].
    pub fn take_from(pid: i32, fd: i32) -> Result<Listener, Error> {
        sys::take_fd(pid, fd)
            .map(|fd| Listener { fd })
            .map_err(|(call, errno)| Error::TakeFd { call, errno })
    }

    /// Waits up to `timeout_ms` milliseconds (negative: without limit) for a
    /// notification to be ready or for the filter to lose its last task.
    ///
    /// ```no_run
    /// # fn f(l: &seccomp_rt::Listener) -> Result<(), seccomp_rt::Error> {
    /// use seccomp_rt::Readiness;
    /// loop {
    ///     match l.wait(100)? {
    ///         Readiness::Ready => {
    ///             let n = l.recv()?;
    ///             let _ = l.respond(n.id, seccomp_rt::Response::Continue);
    ///         }
    ///         Readiness::HungUp => break,
    ///         Readiness::TimedOut => {}
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// `Listener { errno }` from `poll` (`EINTR`).
    pub fn wait(&self, timeout_ms: i32) -> Result<Readiness, Error> {
        let revents =
            sys::poll_in(self.fd, timeout_ms).map_err(|errno| Error::Listener { errno })?;
        Ok(if revents & libc::POLLIN != 0 {
            Readiness::Ready
        } else if revents != 0 {
            Readiness::HungUp
        } else {
            Readiness::TimedOut
        })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        sys::close(self.fd);
    }
}
