use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    opnat? => errno(EPERM);
    default => allow;
};

fn main() {
    let _ = F.len();
}
