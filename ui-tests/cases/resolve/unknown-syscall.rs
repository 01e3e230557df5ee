use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    opnat;
    read;
    default => kill;
};

fn main() {
    let _ = F.len();
}
