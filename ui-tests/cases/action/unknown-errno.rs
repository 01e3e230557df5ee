use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    getpid => errno(EPREM);
    default => kill;
};

fn main() {
    let _ = F.len();
}
