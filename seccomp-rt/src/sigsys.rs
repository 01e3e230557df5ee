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
//! 0x7f3a…, args [0x0, …]` (the arguments on x86_64 and aarch64). The filter must
//! allow what the handler does: `write` to fd 2, and `rt_sigreturn` (or `exit_group`
//! with [`Then::Exit`]) — `@rust_runtime` has them.
//!
//! A dry run cannot run away:
//!
//! - each syscall (by number) is reported **once** per [`install`], however often it
//!   is trapped, and at most [`MAX_REPORTS`] lines are written per [`install`], then
//!   one line saying the rest are not;
//! - a program that loops on the error a trapped call returns — glibc taking a
//!   failed `brk` for success, a fault handler whose `rt_sigaction` keeps failing —
//!   makes the same call from the same place with the same arguments again and
//!   again: after [`LOOP_LIMIT`] such traps in a row the reporter says so and the
//!   process exits with status 159 instead of spinning.
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
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicUsize, Ordering};

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

/// At most this many reports are written per [`install`] (then one line saying so).
pub const MAX_REPORTS: u32 = 512;

/// After this many traps in a row of one syscall from one address with the same
/// arguments, the program is taken to loop on the error it gets: the reporter says
/// so and exits with status 159.
pub const LOOP_LIMIT: u32 = 100_000;

/// Which syscall numbers were reported since the last [`install`]: an
/// open-addressing set of `nr ^ 0x8000_0000` (0: free), emptied by [`install`].
/// 32-bit atomics only, which every target has.
static SEEN: [AtomicU32; 1024] = [const { AtomicU32::new(0) }; 1024];
/// Reports written since the last [`install`].
static REPORTED: AtomicU32 = AtomicU32::new(0);
/// The last trap (number, address and arguments, hashed) and how often in a row.
static LAST_TRAP: AtomicU32 = AtomicU32::new(0);
static REPEATS: AtomicU32 = AtomicU32::new(0);

/// Whether `nr` is reported for the first time since the last [`install`] (and
/// records it).
fn first_report(nr: i32) -> bool {
    #[allow(clippy::cast_sign_loss)]
    let key = (nr as u32) ^ 0x8000_0000;
    if key == 0 {
        return true; // i32::MIN: not recorded, always reported
    }
    let start = key.wrapping_mul(0x9e37_79b9) as usize % SEEN.len();
    for i in 0..SEEN.len() {
        let slot = &SEEN[(start + i) % SEEN.len()];
        match slot.compare_exchange(0, key, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return true,
            Err(now) if now == key => return false,
            Err(_) => {} // another number: probe on
        }
    }
    true // the set is full: report (MAX_REPORTS still bounds the output)
}

/// Counts a trap; whether it is the `LOOP_LIMIT`th in a row of the same call.
fn loops(nr: i32, call_addr: usize, args: Option<[u64; 6]>) -> bool {
    // FNV-1a over the number, the address and the arguments.
    let mut h: u32 = 0x811c_9dc5;
    #[allow(clippy::cast_sign_loss)]
    let words = [u64::from(nr as u32), call_addr as u64];
    for w in words
        .iter()
        .chain(args.as_ref().map_or(&[][..], |a| &a[..]))
    {
        for byte in w.to_le_bytes() {
            h = (h ^ u32::from(byte)).wrapping_mul(0x0100_0193);
        }
    }
    if LAST_TRAP.swap(h, Ordering::AcqRel) == h {
        REPEATS.fetch_add(1, Ordering::AcqRel) + 1 >= LOOP_LIMIT
    } else {
        REPEATS.store(1, Ordering::Release);
        false
    }
}

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
    // A new dry run: every syscall is reported once again. (A signal handled while
    // the set empties may report its syscall twice; nothing worse.)
    for slot in &SEEN {
        slot.store(0, Ordering::Release);
    }
    REPORTED.store(0, Ordering::Release);
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

/// `getpid (39)`, or the number alone.
struct Shown(Option<&'static str>, i32);

impl core::fmt::Display for Shown {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(name) => write!(f, "{name} ({})", self.1),
            None => write!(f, "{}", self.1),
        }
    }
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
    // SAFETY: `context` is this handler's saved ucontext.
    let args = unsafe { sys::syscall_args(context) };
    let name = name_of(config.names, nr);
    if loops(nr, call_addr, args) {
        let mut buf = sys::StackBuf::new();
        let _ = writeln!(
            buf,
            "seccomp: syscall {} trapped {LOOP_LIMIT} times in a row at {call_addr:#x} with the same arguments: the program loops on the error it gets; exiting",
            Shown(name, nr)
        );
        sys::write_stderr(buf.as_bytes());
        sys::exit_group(128 + libc::SIGSYS);
    }
    if first_report(nr) {
        let n = REPORTED.fetch_add(1, Ordering::AcqRel);
        let mut buf = sys::StackBuf::new();
        if n < MAX_REPORTS {
            let _ = write!(
                buf,
                "seccomp: trapped syscall {}, arch {arch:#x}, at {call_addr:#x}",
                Shown(name, nr)
            );
            if let Some(a) = args {
                let _ = write!(
                    buf,
                    ", args [{:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}]",
                    a[0], a[1], a[2], a[3], a[4], a[5]
                );
            }
            let _ = writeln!(buf);
        } else if n == MAX_REPORTS {
            let _ = writeln!(
                buf,
                "seccomp: {MAX_REPORTS} syscalls reported; further ones are not"
            );
        }
        sys::write_stderr(buf.as_bytes());
    }
    let errno = config.fail_with;
    // SAFETY: `context` is this handler's saved ucontext.
    if errno == 0 || !unsafe { sys::set_return_value(context, -i64::from(errno)) } {
        sys::exit_group(128 + libc::SIGSYS);
    }
}
