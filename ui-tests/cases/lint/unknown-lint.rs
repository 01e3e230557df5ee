// A lint that does not exist cannot be accepted.
use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    allow: no_exti;
    read;
    default => kill;
};

fn main() {
    let _ = F.len();
}
