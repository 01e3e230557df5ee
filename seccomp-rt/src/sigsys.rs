//! Reports of the syscalls a `trap` rule stopped: which syscall, on which ABI, from
//! where — written to stderr from the `SIGSYS` handler, async-signal-safely.
//!
//! ```no_run
//! use seccomp_rt::{Filter, seccomp, sigsys::{self, Then}};
//!
//! // A dry run: everything not listed is trapped, reported, and fails with EPERM.
//! static DRY_RUN: Filter = seccomp! {
//!     @rust_runtime;
//!     write: fd == 1 || fd == 2;
//!     default => trap;
//! };
//! sigsys::install(seccomp_rt::syscall_names!(), Then::FailWith(libc::EPERM))?;
//! DRY_RUN.install()?;
//! # Ok::<(), seccomp_rt::Error>(())
//! ```
//!
//! A report reads `seccomp: trapped syscall getpid (39), arch 0xc000003e, at
//! 0x7f3a…`. The filter must allow what the handler does: `write` to fd 2, and
//! `rt_sigreturn` (or `exit_group` with [`Then::Exit`]) — `@rust_runtime` has them.

use core::fmt::Write;
use core::sync::atomic::{AtomicI32, AtomicPtr, AtomicUsize, Ordering};

use crate::error::Error;
use crate::sys;

/// What happens after the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Then {
    /// The process exits with status 159 (128 + `SIGSYS`).
    Exit,
    /// The trapped syscall returns `-errno` to its caller, which goes on: a dry run
    /// that lists everything a policy misses. On ABIs where the runtime does not know
    /// the return register (all but x86_64 and aarch64), the process exits instead.
    FailWith(i32),
}

static NAMES: AtomicPtr<(u32, &'static str)> = AtomicPtr::new(core::ptr::null_mut());
static NAMES_LEN: AtomicUsize = AtomicUsize::new(0);
/// 0: exit; otherwise the errno to fail with.
static THEN: AtomicI32 = AtomicI32::new(0);

/// Installs the `SIGSYS` handler that reports trapped syscalls, naming them from
/// `names` (`seccomp_rt::syscall_names!()` gives the target's table).
///
/// ```no_run
/// use seccomp_rt::sigsys::{self, Then};
/// sigsys::install(seccomp_rt::syscall_names!(), Then::Exit)?;
/// # Ok::<(), seccomp_rt::Error>(())
/// ```
///
/// # Errors
///
/// `Refused { errno }` if `sigaction` fails.
pub fn install(names: &'static [(u32, &'static str)], then: Then) -> Result<(), Error> {
    NAMES.store(names.as_ptr().cast_mut(), Ordering::SeqCst);
    NAMES_LEN.store(names.len(), Ordering::SeqCst);
    THEN.store(
        match then {
            Then::Exit => 0,
            Then::FailWith(e) => e.max(1),
        },
        Ordering::SeqCst,
    );
    sys::install_sigsys_handler(handler).map_err(|errno| Error::Refused { errno })
}

fn name_of(nr: i32) -> Option<&'static str> {
    let ptr = NAMES.load(Ordering::SeqCst);
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `install` stored a `&'static` slice of this length.
    let names = unsafe { core::slice::from_raw_parts(ptr, NAMES_LEN.load(Ordering::SeqCst)) };
    #[allow(clippy::cast_sign_loss)]
    let nr = nr as u32;
    names
        .binary_search_by_key(&nr, |&(n, _)| n)
        .ok()
        .map(|i| names[i].1)
}

/// The handler: nothing but loads, a stack buffer, `write(2)` and, to go on, a
/// change of the saved return register.
extern "C" fn handler(_sig: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let (call_addr, nr, arch) = unsafe { sys::sigsys_fields(info) };
    let mut buf = sys::StackBuf::new();
    let _ = match name_of(nr) {
        Some(name) => writeln!(
            buf,
            "seccomp: trapped syscall {name} ({nr}), arch {arch:#x}, at {call_addr:#x}"
        ),
        None => writeln!(
            buf,
            "seccomp: trapped syscall {nr}, arch {arch:#x}, at {call_addr:#x}"
        ),
    };
    sys::write_stderr(buf.as_bytes());
    let errno = THEN.load(Ordering::SeqCst);
    // SAFETY: `context` is this handler's saved ucontext.
    if errno == 0 || !unsafe { sys::set_return_value(context, -i64::from(errno)) } {
        sys::exit_group(128 + libc::SIGSYS);
    }
}
