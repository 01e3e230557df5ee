use seccomp_rt::{Filter, seccomp};

// The kernel ignores the flag bits it does not know: an unmasked comparison that
// such a bit can make false keeps the call from a deny rule, one that it can make
// true lets the call into an allow rule.
static F: Filter = seccomp! {
    mmap: prot == libc::PROT_EXEC => errno(EPERM);
    openat: flags != 0 => allow;
    mount: !(flags != 4096) => kill;
    openat: flags & 3 == 1 => errno(EACCES);
    mprotect: prot == libc::PROT_EXEC => errno(EPERM);
    default => allow;
};

fn main() {
    let _ = F.len();
}
