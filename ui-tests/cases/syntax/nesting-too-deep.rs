use seccomp_rt::{Filter, seccomp};

// `!` nested 70 deep: more than the 64 levels a condition may nest.
static F: Filter = seccomp! {
    write: !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!fd == 1 => errno(EPERM);
    default => allow;
};

fn main() {
    let _ = F.len();
}
