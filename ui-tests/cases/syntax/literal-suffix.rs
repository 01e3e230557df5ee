use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    read: fd == 0u32;
    default => kill;
};

fn main() {
    let _ = F.len();
}
