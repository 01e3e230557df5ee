//! Named groups of syscalls (`@name`). Members absent on an ABI are skipped.

/// `(name, members)`, sorted by name.
pub const GROUPS: &[(&str, &[&str])] = &[
    (
        "basic_io",
        &[
            "_llseek", "close", "dup", "dup2", "dup3", "lseek", "pread64", "preadv", "preadv2",
            "pwrite64", "pwritev", "pwritev2", "read", "readv", "write", "writev",
        ],
    ),
    (
        "memory",
        &[
            "brk", "madvise", "mlock", "mlock2", "mmap", "mmap2", "mprotect", "mremap", "munlock",
            "munmap",
        ],
    ),
    (
        "process",
        &[
            "clone",
            "clone3",
            "execve",
            "execveat",
            "exit",
            "exit_group",
            "fork",
            "getpid",
            "getppid",
            "gettid",
            "kill",
            "tgkill",
            "tkill",
            "vfork",
            "wait4",
            "waitid",
        ],
    ),
    // What Rust's own runtime needs after a filter is installed: leaving the process,
    // returning from a signal handler, tearing down a thread (its alternate signal stack
    // and its stack mapping) and waiting on futexes once there are threads.
    (
        "rust_runtime",
        &[
            "exit",
            "exit_group",
            "futex",
            "futex_time64",
            "madvise",
            "munmap",
            "rt_sigprocmask",
            "rt_sigreturn",
            "sched_yield",
            "sigaltstack",
            "sigreturn",
        ],
    ),
    (
        "signal",
        &[
            "rt_sigaction",
            "rt_sigpending",
            "rt_sigprocmask",
            "rt_sigqueueinfo",
            "rt_sigreturn",
            "rt_sigsuspend",
            "rt_sigtimedwait",
            "rt_sigtimedwait_time64",
            "sigaction",
            "sigaltstack",
            "signalfd",
            "signalfd4",
            "sigpending",
            "sigprocmask",
            "sigreturn",
            "sigsuspend",
        ],
    ),
    (
        "time",
        &[
            "clock_getres",
            "clock_getres_time64",
            "clock_gettime",
            "clock_gettime64",
            "clock_nanosleep",
            "clock_nanosleep_time64",
            "gettimeofday",
            "nanosleep",
            "time",
        ],
    ),
];

/// The members of a group.
#[must_use]
pub fn members(name: &str) -> Option<&'static [&'static str]> {
    GROUPS.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
}

/// Every group's name.
pub fn names() -> impl Iterator<Item = &'static str> {
    GROUPS.iter().map(|(n, _)| *n)
}
