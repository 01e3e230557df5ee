//! A first look: install a filter, then watch allowed calls succeed and denied
//! calls fail with the errno the policy chose — without killing the process.
//!
//! `cargo run --example demo`

use seccomp_rt::{Filter, seccomp};

static POLICY: Filter = seccomp! {
    // What Rust's runtime needs to keep running and to exit cleanly.
    @rust_runtime;
    @memory;
    // Output, to the terminal only.
    write: fd == 1 || fd == 2;
    // Denied, politely: the call fails with an errno instead of killing us.
    getpid => errno(EPERM);
    openat => errno(EACCES);
    open? => errno(EACCES);
    socket => errno(EAFNOSUPPORT);
    // Anything else kills the process.
    default => kill;
};

fn main() {
    println!("the filter has {} instructions:\n{POLICY}", POLICY.len());
    POLICY.install().expect("installing the filter");
    println!("filter installed; this line was written with write(1, …): allowed");

    // SAFETY: getpid has no arguments; the raw syscall shows the errno.
    let r = unsafe { libc::syscall(libc::SYS_getpid) };
    println!("getpid() = {r}: {}", std::io::Error::last_os_error());

    match std::fs::File::open("/etc/hostname") {
        Ok(_) => println!("open(/etc/hostname) succeeded?!"),
        Err(e) => println!("open(/etc/hostname) failed: {e}"),
    }
    match std::net::UdpSocket::bind("127.0.0.1:0") {
        Ok(_) => println!("socket() succeeded?!"),
        Err(e) => println!("socket() failed: {e}"),
    }
    println!("any other syscall would kill the process with SIGSYS; goodbye");
}
