use seccomp_rt::{Filter, seccomp};

// On i386, socketcall(SYS_SETSOCKOPT, args) makes the same call with its
// arguments behind a pointer: checking setsockopt's arguments is no check.
static F: Filter = seccomp! {
    arch: x86_64, x86;
    setsockopt: level == 1 => errno(EPERM);
    default => allow;
};

fn main() {
    let _ = F.len();
}
