use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    arch: x86_64, s390x;
    read: fd == 0;
    default => kill;
};

fn main() {
    let _ = F.len();
}
