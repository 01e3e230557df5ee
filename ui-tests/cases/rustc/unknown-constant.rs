// A misspelt constant is rustc's to report, at the user's path.
use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    socket: family == libc::AF_UNIXX;
    exit_group;
    default => kill;
};

fn main() {
    let _ = F.len();
}
