// The C library does not expect brk to fail with an errno it did not cause.
use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    brk => errno(ENOMEM);
    default => allow;
};

fn main() {
    let _ = F.len();
}
