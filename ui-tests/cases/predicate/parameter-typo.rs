use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    write: cuont < 4096;
    default => kill;
};

fn main() {
    let _ = F.len();
}
