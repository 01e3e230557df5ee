//! What Rust's runtime does after a filter is installed, under the project's
//! `@rust_runtime` and `@rust_threads` groups: `rust_runtime MODE POLICY`.
//!
//! MODE is `panic` (a panic in main: its message, then exit status 101), `abort`
//! (`std::process::abort`: SIGABRT), `threads` (spawn and join 8 threads, each
//! allocating), `fork` (`Command::status`: refused, exit status 3, or SIGSYS),
//! `segv` (a null write: SIGSEGV) or `ok`. POLICY is `kill` (`default =>
//! kill`) or `eperm` (`default => errno(EPERM)`): under either, nothing the runtime
//! needs may be refused, and nothing may hang.

use seccomp_rt::{Filter, seccomp};

static KILL: Filter = seccomp! {
    @rust_runtime;
    @rust_threads;
    write: fd == 1 || fd == 2;
    default => kill;
};

static EPERM: Filter = seccomp! {
    @rust_runtime;
    @rust_threads;
    brk;
    write: fd == 1 || fd == 2;
    default => errno(EPERM);
};

static ALLOW: Filter = seccomp! { default => allow; };

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mode, policy) = match args.as_slice() {
        [_, m, p] => (m.as_str(), p.as_str()),
        _ => {
            eprintln!("usage: rust_runtime panic|abort|threads|fork|segv|ok kill|eperm|allow");
            std::process::exit(2);
        }
    };
    let filter = match policy {
        "kill" => &KILL,
        "eperm" => &EPERM,
        "allow" => &ALLOW,
        _ => std::process::exit(2),
    };
    filter.install().expect("install");
    match mode {
        "panic" => panic!("the message of a panic under the filter"),
        "abort" => std::process::abort(),
        "threads" => {
            let handles: Vec<_> = (0..8)
                .map(|i| std::thread::spawn(move || vec![i; 100_000].iter().sum::<u64>()))
                .collect();
            let total: u64 = handles.into_iter().map(|h| h.join().expect("join")).sum();
            println!("threads joined: {total}");
        }
        "fork" => match std::process::Command::new("/bin/true").status() {
            Ok(status) => println!("a child process ran: {status}"),
            Err(e) => {
                println!("no child process: {e}");
                std::process::exit(3);
            }
        },
        "segv" => {
            // SAFETY: none; the point is the fault.
            unsafe { core::ptr::null_mut::<u8>().write_volatile(1) };
        }
        _ => println!("ok"),
    }
}
