//! Seccomp filters written inline, compiled at build time for the target's ABI, and
//! installed by a `no_std` runtime that never allocates.
//!
//! ```no_run
//! use seccomp_rt::{Filter, seccomp};
//!
//! static STDIO_ONLY: Filter = seccomp! {
//!     read: fd == 0;
//!     write: fd == 1 || fd == 2;
//!     exit_group;
//!     default => kill;
//! };
//!
//! fn main() {
//!     STDIO_ONLY.install().expect("seccomp");
//!     // from here on, any other syscall kills the process
//! }
//! ```
//!
//! The language is described on [`seccomp!`]. A filter can also be run in-process
//! exactly as the kernel would run it ([`Filter::evaluate`]), which makes policies
//! unit-testable, and printed as assembly (`Display`).
#![no_std]
#![deny(missing_docs)]

mod errno;
mod error;
mod filter;
mod install;
mod notify;
pub mod sigsys;
mod sys;
mod template;

pub use errno::Errno;
pub use error::Error;
pub use filter::{AUDIT_ARCH, Filter};
pub use install::Installer;
pub use notify::{Listener, Notification, NotifyFilter, Readiness, Response};
pub use seccomp_bpf::ret::Action;
pub use seccomp_bpf::{CheckError, Endian, SeccompData, SockFilter};
pub use template::Template;

#[doc = include_str!("../../docs/language.md")]
pub use seccomp_macros::seccomp;

/// The target ABI's syscall table: `&'static [(u32, &'static str)]`, sorted by
/// number, for [`sigsys::install`].
///
/// ```
/// let names: &[(u32, &str)] = seccomp_rt::syscall_names!();
/// # #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
/// assert!(names.contains(&(39, "getpid")));
/// ```
pub use seccomp_macros::syscall_names;

/// Installs a policy before the first line of `main` runs.
///
/// ```no_run
/// #[seccomp_rt::main(
///     @rust_runtime;
///     write: fd == 1 || fd == 2;
///     default => kill;
/// )]
/// fn main() {
///     println!("the filter is already installed");
/// }
/// ```
///
/// If the kernel refuses the filter, the process prints why and aborts before the
/// body runs: it never runs unprotected. The policy language is that of
/// [`seccomp!`]; its errors point at the tokens inside the attribute. Installation
/// uses TSYNC, so under `#[tokio::main]` (in either order) threads already started
/// are filtered too.
pub use seccomp_macros::main;

/// Enters strict mode: from now on, the calling thread may only `read`, `write`,
/// `_exit` (not `exit_group`) and `sigreturn`; any other syscall kills it.
///
/// ```no_run
/// seccomp_rt::enter_strict_mode()?;
/// # Ok::<(), seccomp_rt::Error>(())
/// ```
///
/// # Errors
///
/// `Strict { errno }`: `EINVAL` when the kernel has no seccomp.
pub fn enter_strict_mode() -> Result<(), Error> {
    sys::set_strict().map_err(|errno| Error::Strict { errno })
}

/// Whether the running kernel knows an action (`SECCOMP_GET_ACTION_AVAIL`, Linux
/// 4.14+); `None` when the kernel cannot say.
///
/// ```
/// # if let Some(known) = seccomp_rt::action_available(seccomp_rt::Action::Allow) {
/// assert!(known);
/// # }
/// ```
#[must_use]
pub fn action_available(action: Action) -> Option<bool> {
    match sys::action_avail(action.to_ret() & seccomp_bpf::ret::ACTION_FULL) {
        Ok(()) => Some(true),
        Err(libc::EOPNOTSUPP) => Some(false),
        Err(_) => None,
    }
}

#[doc(hidden)]
pub mod __private {
    pub use crate::filter::Filter;
    pub use crate::notify::NotifyFilter;
    pub use crate::template::{ParamSpec, Slot, Template};
    pub use seccomp_bpf::SockFilter;

    /// The `#[seccomp_rt::main]` prologue: install or abort, never run unprotected.
    pub fn install_or_abort(filter: &Filter) {
        if let Err(e) = filter.install() {
            crate::sys::abort_with(format_args!(
                "seccomp_rt::main: the seccomp filter was not installed: {e}\n"
            ));
        }
    }
}
