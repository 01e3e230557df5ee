use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    uretprobe => kill;
    default => allow;
};

fn main() {
    let _ = F.len();
}
