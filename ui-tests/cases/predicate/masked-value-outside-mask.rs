use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    openat: flags & 0xff00 == 1000 => errno(EPERM);
    default => allow;
};

fn main() {
    let _ = F.len();
}
