use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    getpid => errno(4096);
    default => kill;
};

fn main() {
    let _ = F.len();
}
