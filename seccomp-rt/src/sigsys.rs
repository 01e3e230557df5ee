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
//! sigsys::install(seccomp_rt::syscall_names!(), Then::FailWith(seccomp_rt::Errno::EPERM))?;
//! DRY_RUN.install()?;
//! # Ok::<(), seccomp_rt::Error>(())
//! ```
//!
//! A report reads `seccomp: trapped syscall getpid (39), arch 0xc000003e, at
//! 0x7f3a…`. The filter must allow what the handler does: `write` to fd 2, and
//! `rt_sigreturn` (or `exit_group` with [`Then::Exit`]) — `@rust_runtime` has them.
//!
//! Only a `SIGSYS` raised by a filter (`si_code == SYS_SECCOMP`) is reported. Any
//! other — sent with `kill(2)`, `tgkill(2)`, … — goes to the disposition `SIGSYS` had
//! before [`install`]: ignored, the default (the process dies of `SIGSYS`), or the
//! previous handler, called as the kernel would have called it. The reporter never
//! changes the registers of code a signal it did not cause interrupted. (Another
//! process cannot forge `SYS_SECCOMP`: the kernel refuses `rt_sigqueueinfo(2)` with a
//! non-negative code unless a process signals itself.)

use core::cell::UnsafeCell;
use core::fmt::Write;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

use crate::errno::Errno;
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
    FailWith(Errno),
}

/// How many different configurations [`install`] can publish in the life of a
/// process: each one is kept forever, since a handler may still read it.
/// Installing one given before again takes no new slot.
pub const MAX_CONFIGS: usize = 16;

/// What the handler reads: written once into its slot before it is published,
/// never changed after.
struct Config {
    names: &'static [(u32, &'static str)],
    /// 0: exit; otherwise the errno to fail with.
    fail_with: i32,
    /// The disposition of `SIGSYS` before the reporter.
    prev: libc::sigaction,
}

impl Config {
    fn same(&self, other: &Config) -> bool {
        core::ptr::eq(self.names, other.names)
            && self.fail_with == other.fail_with
            && sys::same_disposition(&self.prev, &other.prev)
    }
}

struct Slot {
    /// Set (release) once `config` is written; never cleared.
    ready: AtomicBool,
    config: UnsafeCell<MaybeUninit<Config>>,
}

// SAFETY: a slot's `config` is written only by the one `install` that claimed it
// (`CLAIMED.fetch_add`), before `ready` is set with release ordering; it is read
// only after `ready` (or a `CURRENT` pointer to it) is seen with acquire ordering.
unsafe impl Sync for Slot {}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: Slot = Slot {
    ready: AtomicBool::new(false),
    config: UnsafeCell::new(MaybeUninit::uninit()),
};
static SLOTS: [Slot; MAX_CONFIGS] = [EMPTY; MAX_CONFIGS];
/// How many slots have been claimed (may exceed `MAX_CONFIGS` after refusals).
static CLAIMED: AtomicUsize = AtomicUsize::new(0);
/// The configuration in force: null, or a ready slot's. One pointer, so a handler
/// always sees one whole configuration, never the table of one and the length of
/// another.
static CURRENT: AtomicPtr<Config> = AtomicPtr::new(core::ptr::null_mut());

/// Installs the `SIGSYS` handler that reports trapped syscalls, naming them from
/// `names` (`seccomp_rt::syscall_names!()` gives the target's table). Installing
/// again replaces `names` and `then` atomically: a signal being handled meanwhile
/// sees either the old pair or the new one.
///
/// ```no_run
/// use seccomp_rt::sigsys::{self, Then};
/// sigsys::install(seccomp_rt::syscall_names!(), Then::Exit)?;
/// # Ok::<(), seccomp_rt::Error>(())
/// ```
///
/// The disposition `SIGSYS` has when `install` is first called (or, later, any
/// that replaced the reporter) is where signals the reporter does not handle go.
/// Changing the disposition of `SIGSYS` from another thread while `install` runs
/// leaves unspecified which of the two becomes the previous one.
///
/// # Errors
///
/// `Refused { errno }` if `sigaction` fails; `ReporterConfigsExhausted` if
/// [`MAX_CONFIGS`] different configurations were installed already (nothing changes:
/// the reporter in force, if any, stays).
pub fn install(names: &'static [(u32, &'static str)], then: Then) -> Result<(), Error> {
    let refused = |errno| Error::Refused { errno };
    let now = sys::sigsys_disposition().map_err(refused)?;
    let prev = if now.sa_sigaction == handler as *const () as usize {
        let current = CURRENT.load(Ordering::Acquire);
        if current.is_null() {
            // Our handler without a configuration cannot be; treat it as the default.
            // SAFETY: all-zero is SIG_DFL with no flags and an empty mask.
            unsafe { core::mem::zeroed() }
        } else {
            // SAFETY: `CURRENT` only ever points at a ready slot, never changed again.
            unsafe { (*current).prev }
        }
    } else {
        now
    };
    let config = Config {
        names,
        fail_with: match then {
            Then::Exit => 0,
            Then::FailWith(e) => e.get(),
        },
        prev,
    };
    let slot = find_or_claim(config)?;
    CURRENT.store(slot.cast_mut(), Ordering::Release);
    sys::install_sigsys_handler(handler).map_err(refused)
}

/// A ready slot holding `config`, or a new one.
fn find_or_claim(config: Config) -> Result<*const Config, Error> {
    let claimed = CLAIMED.load(Ordering::Acquire).min(MAX_CONFIGS);
    for slot in &SLOTS[..claimed] {
        if slot.ready.load(Ordering::Acquire) {
            // SAFETY: ready: written once, never changed again.
            let existing = unsafe { (*slot.config.get()).assume_init_ref() };
            if existing.same(&config) {
                return Ok(existing);
            }
        }
    }
    let i = CLAIMED.fetch_add(1, Ordering::AcqRel);
    let slot = SLOTS
        .get(i)
        .ok_or(Error::ReporterConfigsExhausted { max: MAX_CONFIGS })?;
    // SAFETY: slot `i` was claimed by this call alone, and nothing reads it before
    // `ready` is set.
    let written: *const Config = unsafe { (*slot.config.get()).write(config) };
    slot.ready.store(true, Ordering::Release);
    Ok(written)
}

fn name_of(names: &[(u32, &'static str)], nr: i32) -> Option<&'static str> {
    #[allow(clippy::cast_sign_loss)]
    let nr = nr as u32;
    names
        .binary_search_by_key(&nr, |&(n, _)| n)
        .ok()
        .map(|i| names[i].1)
}

/// The handler: nothing but loads, a stack buffer, `write(2)` and, to go on, a
/// change of the saved return register — for a `SIGSYS` a filter raised. Any other
/// goes to the previous disposition.
extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    let current = CURRENT.load(Ordering::Acquire);
    // SAFETY: `CURRENT` is published before the handler is installed, and only ever
    // points at a ready slot, never changed again.
    let Some(config) = (unsafe { current.as_ref() }) else {
        return;
    };
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    if unsafe { sys::si_code(info) } != sys::SYS_SECCOMP {
        // SAFETY: called from the handler with its own arguments; `prev` is the
        // disposition before the reporter.
        unsafe { sys::chain_sigsys(&config.prev, sig, info, context) };
        return;
    }
    // SAFETY: a SIGSYS with SYS_SECCOMP carries the `_sigsys` fields.
    let (call_addr, nr, arch) = unsafe { sys::sigsys_fields(info) };
    let mut buf = sys::StackBuf::new();
    let _ = match name_of(config.names, nr) {
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
    let errno = config.fail_with;
    // SAFETY: `context` is this handler's saved ucontext.
    if errno == 0 || !unsafe { sys::set_return_value(context, -i64::from(errno)) } {
        sys::exit_group(128 + libc::SIGSYS);
    }
}
