// A denylist that forgets the newer syscall doing the same thing.
use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    open => errno(EACCES);
    default => allow;
};

fn main() {
    let _ = F.len();
}
