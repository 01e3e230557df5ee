// `mmap2` exists on 32-bit ABIs only; this test runs on x86_64.
use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    mmap2;
    default => kill;
};

fn main() {
    let _ = F.len();
}
