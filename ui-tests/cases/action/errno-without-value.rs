use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    getpid => errno;
    default => kill;
};

fn main() {
    let _ = F.len();
}
