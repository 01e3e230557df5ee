use seccomp_rt::{Filter, seccomp};

// `socket` is denied, but socketcall(SYS_SOCKET, …) is allowed on i386.
static F: Filter = seccomp! {
    arch: x86_64, x86;
    socketcall?;
    socket => errno(EPERM);
    default => kill;
};

fn main() {
    let _ = F.len();
}
