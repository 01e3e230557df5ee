// A policy that uses `notify` is a `NotifyFilter`: it cannot be stored, and so not
// installed, as a plain `Filter`, whose install has no listener to give.
use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    mknodat => notify;
    default => allow;
};

fn main() {
    let _ = F.len();
}
