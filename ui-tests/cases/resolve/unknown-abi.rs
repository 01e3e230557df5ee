use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    arch: x86_64, aarch46;
    read;
    default => kill;
};

fn main() {
    let _ = F.len();
}
