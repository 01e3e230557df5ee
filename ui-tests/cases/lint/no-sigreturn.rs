// A signal handler can be installed, but it could never return.
use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    rt_sigaction;
    exit_group;
    default => kill;
};

fn main() {
    let _ = F.len();
}
