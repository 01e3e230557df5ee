//! `#[seccomp_rt::main]` inside `#[tokio::main]`: the filter is installed first
//! thing in the synchronous `main` tokio generates, before the runtime starts its
//! threads, which inherit it.
//!
//! `cargo run --example tokio_inner -- ok|worker-getpid`

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
#[seccomp_rt::main(
    getpid => kill;
    default => allow;
)]
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
