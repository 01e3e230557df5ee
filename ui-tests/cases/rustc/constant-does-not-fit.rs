// A Rust constant is evaluated by rustc for the target, and checked against the
// parameter's range there.
use seccomp_rt::{Filter, seccomp};

const TOO_BIG: u64 = 1 << 40;

static F: Filter = seccomp! {
    read: fd == TOO_BIG;
    exit_group;
    default => kill;
};

fn main() {
    let _ = F.len();
}
