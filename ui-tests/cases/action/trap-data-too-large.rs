use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    getpid => trap(65536);
    default => kill;
};

fn main() {
    let _ = F.len();
}
