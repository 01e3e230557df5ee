use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    write;
    write: fd == 2 => errno(EPERM);
    default => kill;
};

fn main() {
    let _ = F.len();
}
