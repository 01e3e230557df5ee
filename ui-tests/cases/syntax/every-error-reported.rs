// Each statement's syntax error is reported, not just the first one.
use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    read: fd == ;
    write: fd == 1 fd == 2;
    close: fd == 3 3;
    default => kill;
};

fn main() {
    let _ = F.len();
}
