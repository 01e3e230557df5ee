use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    read: flags == 0;
    default => kill;
};

fn main() {
    let _ = F.len();
}
