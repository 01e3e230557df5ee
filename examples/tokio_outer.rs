//! `#[seccomp_rt::main]` outside `#[tokio::main]`: the filter is installed at the
//! start of the async body, when the runtime's worker threads already run, and
//! TSYNC filters them too.
//!
//! `cargo run --example tokio_outer -- ok|worker-getpid`

#[seccomp_rt::main(
    getpid => kill;
    default => allow;
)]
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let what = std::env::args().nth(1).unwrap_or_default();
    let worker = tokio::spawn(async move {
        let name = std::thread::current().name().unwrap_or("?").to_owned();
        if what == "worker-getpid" {
            println!("{name}: calling getpid");
            // SAFETY: getpid has no arguments.
            unsafe { libc::syscall(libc::SYS_getpid) };
            println!("{name}: still alive?!");
        }
        name
    });
    let name = worker.await.expect("worker");
    println!("ok: the task ran on {name}");
}
