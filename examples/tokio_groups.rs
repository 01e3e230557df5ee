//! A tokio multi-thread runtime under a strict policy written with the documented
//! groups, the attribute outside `#[tokio::main]`: the workers already run when the
//! filter is installed (TSYNC filters them), and `spawn_blocking` starts new threads
//! under it. `cargo run --example tokio_groups [-- worker-getuid]`: with
//! `worker-getuid`, a task also calls `getuid`, which the policy does not allow.
//!
//! `@rust_threads` lets threads start (clone with CLONE_THREAD), `@io-event` is
//! systemd's event-loop group (epoll, eventfd), `@rust_runtime` the rest of what std
//! needs; printing needs `write` to stdout.

#[seccomp_rt::main(
    @rust_runtime;
    @rust_threads;
    @io-event;
    brk;
    write: fd == 1 || fd == 2;
    default => kill;
)]
#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    if std::env::args().nth(1).as_deref() == Some("worker-getuid") {
        let worker = tokio::spawn(async {
            // SAFETY: getuid has no arguments.
            unsafe { libc::syscall(libc::SYS_getuid) }
        });
        let _ = worker.await;
        println!("still alive?!");
        return;
    }
    let mut total = 0u64;
    for round in 0..4u64 {
        let tasks: Vec<_> = (0..16u64)
            .map(|i| tokio::spawn(async move { (0..1000u64).map(|x| x * i + round).sum::<u64>() }))
            .collect();
        let blocking = tokio::task::spawn_blocking(move || vec![round; 50_000].iter().sum::<u64>());
        for t in tasks {
            total += t.await.expect("task");
        }
        total += blocking.await.expect("blocking task");
        tokio::task::yield_now().await;
    }
    println!("tokio under the groups: {total}");
}
