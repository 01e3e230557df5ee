use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    openat: flags & 1 | 2 == 0;
    default => kill;
};

fn main() {
    let _ = F.len();
}
