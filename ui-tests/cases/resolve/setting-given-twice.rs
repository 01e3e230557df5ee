use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    read;
    default => kill;
    default => allow;
};

fn main() {
    let _ = F.len();
}
