use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    openat: flags & 0xff <= 0xff => errno(EPERM);
    default => allow;
};

fn main() {
    let _ = F.len();
}
