//! The seed policy on the real kernel: `read` only from stdin, `write` only to
//! stdout, `exit_group`, and death for everything else.
//!
//! `cargo run --example seed -- ACTION`, where ACTION is one of:
//! `read` (copy up to 64 bytes of stdin to stdout), `stdout` (write to fd 1),
//! `stderr` (write to fd 2: killed), `getpid` (killed), and `eperm-getpid`, which
//! installs the seed policy plus `getpid => errno(EPERM)` and prints the errno.
//! The tests in `tests/kernel.rs` run it and check what the kernel did.

use seccomp_rt::{Filter, seccomp};

static SEED: Filter = seccomp! {
    read: fd == 0;
    write: fd == 1;
    exit_group;
    default => kill;
};

static SEED_WITH_EPERM: Filter = seccomp! {
    read: fd == 0;
    write: fd == 1;
    exit_group;
    getpid => errno(EPERM);
    default => kill;
};

/// Writes all of `buf` to a file descriptor, with nothing but `write(2)`.
fn write_fd(fd: i32, buf: &[u8]) -> isize {
    // SAFETY: `buf` is valid for `buf.len()` bytes.
    unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) }
}

/// Formats a number into `buf` without allocating; returns the digits.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

fn main() {
    // Everything that allocates happens before the filter is installed.
    let action = std::env::args().nth(1).unwrap_or_default();
    let filter = if action == "eperm-getpid" {
        &SEED_WITH_EPERM
    } else {
        &SEED
    };
    if let Err(e) = filter.install() {
        eprintln!("seccomp: {e}");
        std::process::exit(2);
    }
    match action.as_str() {
        "read" => {
            let mut buf = [0u8; 64];
            // SAFETY: `buf` is valid for 64 bytes.
            let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                write_fd(1, &buf[..n as usize]);
            }
        }
        "stdout" => {
            write_fd(1, b"hello from the sandbox\n");
        }
        "stderr" => {
            write_fd(2, b"this line is never written\n");
        }
        "getpid" | "eperm-getpid" => {
            // SAFETY: getpid has no arguments; the raw syscall shows the errno.
            let r = unsafe { libc::syscall(libc::SYS_getpid) };
            // SAFETY: reading errno of this thread.
            let errno = unsafe { *libc::__errno_location() };
            let mut buf = [0u8; 20];
            write_fd(
                1,
                if r == -1 {
                    b"getpid failed: errno "
                } else {
                    b"getpid returned "
                },
            );
            write_fd(
                1,
                decimal(if r == -1 { errno as u64 } else { r as u64 }, &mut buf),
            );
            write_fd(1, b"\n");
        }
        _ => {
            write_fd(1, b"usage: seed read|stdout|stderr|getpid|eperm-getpid\n");
        }
    }
    // Leave with exit_group alone: no destructors, no stdio flush, no munmap.
    // SAFETY: ends the process.
    unsafe { libc::_exit(0) }
}
