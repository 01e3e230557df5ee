// `fd` of `read` is an `unsigned int`: -1 is not one of its values.
use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    read: fd == -1;
    openat: dfd == 0x1_0000_0000;
    default => kill;
};

fn main() {
    let _ = F.len();
}
