use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    0x40000027 => errno(EPERM);
    default => allow;
};

fn main() {
    let _ = F.len();
}
