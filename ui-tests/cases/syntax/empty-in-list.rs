use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    read: fd in [];
    default => kill;
};

fn main() {
    let _ = F.len();
}
