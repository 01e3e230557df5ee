use seccomp_rt::{Filter, seccomp};

// i386 has no accept syscall: socketcall(SYS_ACCEPT, args) is the only way, and
// its arguments are behind a pointer.
static F: Filter = seccomp! {
    arch: x86_64, x86;
    accept?: fd == 3 => errno(EPERM);
    default => allow;
};

fn main() {
    let _ = F.len();
}
