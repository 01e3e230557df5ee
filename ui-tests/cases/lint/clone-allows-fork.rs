// execve is denied, but clone without a CLONE_THREAD check makes a process as fork does.
use seccomp_rt::{Filter, seccomp};

static F: Filter = seccomp! {
    clone;
    execve => kill;
    execveat => kill;
    exit_group;
    default => errno(EPERM);
    @memory;
};

fn main() {
    let _ = F.len();
}
