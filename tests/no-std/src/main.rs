//! `#![no_std]`, `#![no_main]`, no allocator: a filter compiled by `seccomp!` and
//! installed by `seccomp-rt` with nothing but libc underneath.
//!
//! `cargo run --manifest-path tests/no-std/Cargo.toml` prints one line and exits 0;
//! `.ci/run` runs it.
#![no_std]
#![no_main]

use seccomp_rt::{Filter, seccomp};

static POLICY: Filter = seccomp! {
    write: fd == 1 || fd == 2;
    getpid => errno(EPERM);
    exit_group;
    default => kill;
};

fn say(text: &[u8]) {
    // SAFETY: `text` is valid for its length.
    unsafe { libc::write(1, text.as_ptr().cast(), text.len()) };
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: ends the process.
    unsafe { libc::abort() }
}

// The precompiled `core` of the stable toolchain refers to the unwinding
// personality routine; with `panic = "abort"` nothing ever unwinds, so it is never
// called. (Nightly's `-Zbuild-std` or a `*-none` target would not need this.)
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}

#[unsafe(no_mangle)]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    if POLICY.install().is_err() {
        say(b"no_std: the filter was not installed\n");
        return 1;
    }
    // SAFETY: getpid takes no arguments; the raw syscall shows the errno.
    let r = unsafe { libc::syscall(libc::SYS_getpid) };
    // SAFETY: reads this thread's errno.
    let errno = unsafe { *libc::__errno_location() };
    if r == -1 && errno == libc::EPERM {
        say(b"no_std: filter installed; getpid failed with EPERM as the policy says\n");
        // SAFETY: ends the process with exit_group, which the policy allows.
        unsafe { libc::_exit(0) }
    }
    say(b"no_std: getpid was not denied\n");
    // SAFETY: as above.
    unsafe { libc::_exit(1) }
}
