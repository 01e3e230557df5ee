//! [`Errno`]: an error number a syscall can be made to fail with.

use core::fmt;

use crate::error::Error;

/// An error number a syscall can be made to fail with: from 1 to 4095.
///
/// A syscall fails when it returns `-errno` with errno in that range; `0` is
/// success, and a C library takes a return value below `-4095` for a successful
/// result, not an error (glibc's `INTERNAL_SYSCALL_ERROR_P`). So answers that must
/// make a syscall fail — [`Response::Errno`](crate::Response::Errno),
/// [`Then::FailWith`](crate::sigsys::Then::FailWith) — take an `Errno`, which holds
/// nothing else: a denial cannot become a success by accident.
///
/// ```
/// use seccomp_rt::Errno;
///
/// assert_eq!(Errno::EPERM.get(), libc::EPERM);
/// assert_eq!(Errno::new(libc::EROFS), Some(Errno::EROFS));
/// const CUSTOM: Errno = Errno::new(4095).unwrap();
/// assert_eq!(CUSTOM.get(), 4095);
///
/// // Zero, negative values and numbers past 4095 are not errnos.
/// assert_eq!(Errno::new(0), None);
/// assert_eq!(Errno::new(-libc::EPERM), None);
/// assert_eq!(Errno::new(4096), None);
/// // `TryFrom` says why, as a `seccomp_rt::Error`.
/// assert!(Errno::try_from(0).is_err());
/// ```
///
/// There is no other way to make one:
///
/// ```compile_fail,E0423
/// let success = seccomp_rt::Errno(0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Errno(u16);

impl Errno {
    /// The largest errno: return values from `-4095` to `-1` are errors.
    pub const MAX: i32 = 4095;

    /// `errno` if it is from 1 to [`Errno::MAX`]; `None` for 0, a negative value or
    /// one above 4095. Usable in constants (`Errno::new(n).unwrap()` fails the build
    /// when `n` is not an errno); [`Errno::try_from`] gives an [`Error`] instead.
    ///
    /// ```
    /// use seccomp_rt::Errno;
    /// const EXAMPLE: Errno = Errno::new(135).unwrap();
    /// assert_eq!(EXAMPLE.get(), 135);
    /// assert_eq!(Errno::new(libc::EACCES), Some(Errno::EACCES));
    /// assert_eq!(Errno::new(0), None);
    /// ```
    #[must_use]
    pub const fn new(errno: i32) -> Option<Errno> {
        if errno >= 1 && errno <= Errno::MAX {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Some(Errno(errno as u16))
        } else {
            None
        }
    }

    /// The number, from 1 to 4095.
    ///
    /// ```
    /// assert_eq!(seccomp_rt::Errno::ENOSYS.get(), libc::ENOSYS);
    /// ```
    #[must_use]
    pub const fn get(self) -> i32 {
        self.0 as i32
    }
}

impl TryFrom<i32> for Errno {
    type Error = Error;

    /// As [`Errno::new`], with `Error::InvalidErrno { value }` for a value that
    /// is not an errno.
    ///
    /// ```
    /// use seccomp_rt::{Errno, Error};
    /// assert_eq!(Errno::try_from(libc::EPERM), Ok(Errno::EPERM));
    /// assert_eq!(Errno::try_from(-1), Err(Error::InvalidErrno { value: -1 }));
    /// ```
    fn try_from(errno: i32) -> Result<Errno, Error> {
        Errno::new(errno).ok_or(Error::InvalidErrno { value: errno })
    }
}

impl From<Errno> for i32 {
    fn from(e: Errno) -> i32 {
        e.get()
    }
}

impl fmt::Display for Errno {
    /// The number, as `errno(13)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "errno({})", self.0)
    }
}

/// The errno constants, each the target's value from `libc`, checked at compile
/// time to be an errno.
macro_rules! errnos {
    ($($name:ident: $what:literal,)*) => {
        impl Errno {
            $(
                #[doc = concat!("`", stringify!($name), "`: ", $what, ".")]
                pub const $name: Errno = Errno::new(libc::$name).unwrap();
            )*
        }
    };
}

errnos! {
    EPERM: "operation not permitted",
    ENOENT: "no such file or directory",
    ESRCH: "no such process",
    EINTR: "interrupted system call",
    EIO: "input/output error",
    ENXIO: "no such device or address",
    E2BIG: "argument list too long",
    ENOEXEC: "exec format error",
    EBADF: "bad file descriptor",
    ECHILD: "no child processes",
    EAGAIN: "resource temporarily unavailable",
    ENOMEM: "cannot allocate memory",
    EACCES: "permission denied",
    EFAULT: "bad address",
    EBUSY: "device or resource busy",
    EEXIST: "file exists",
    EXDEV: "invalid cross-device link",
    ENODEV: "no such device",
    ENOTDIR: "not a directory",
    EISDIR: "is a directory",
    EINVAL: "invalid argument",
    ENFILE: "too many open files in system",
    EMFILE: "too many open files",
    ENOTTY: "inappropriate ioctl for device",
    ETXTBSY: "text file busy",
    EFBIG: "file too large",
    ENOSPC: "no space left on device",
    ESPIPE: "illegal seek",
    EROFS: "read-only file system",
    EMLINK: "too many links",
    EPIPE: "broken pipe",
    EDOM: "numerical argument out of domain",
    ERANGE: "numerical result out of range",
    ENAMETOOLONG: "file name too long",
    ENOSYS: "function not implemented",
    ENOTEMPTY: "directory not empty",
    ELOOP: "too many levels of symbolic links",
    ENODATA: "no data available",
    ENOTSOCK: "socket operation on non-socket",
    EPROTONOSUPPORT: "protocol not supported",
    EOPNOTSUPP: "operation not supported",
    EAFNOSUPPORT: "address family not supported by protocol",
    EADDRINUSE: "address already in use",
    ENETUNREACH: "network is unreachable",
    ECONNREFUSED: "connection refused",
    ETIMEDOUT: "connection timed out",
}
