//! Named groups of syscalls (`@name`). Members absent on an ABI are skipped.
//!
//! Two families, one namespace:
//!
//! - **systemd's groups** ([`SYSTEMD`]), with systemd's names and members
//!   (`@system-service`, `@file-system`, `@basic-io`, …), generated from systemd's own
//!   table; where one of the project's earlier groups had the same name
//!   (`@basic_io`, `@process`, `@signal`), systemd's meaning is the one it has now.
//! - **the project's own** ([`OWN`]): `@rust_runtime`, `@memory`, `@time`.
//!
//! A name is looked up with `-` and `_` alike: `@basic_io` is `@basic-io`, and
//! `@rust-runtime` is `@rust_runtime`.
//!
//! ```
//! use seccomp_compiler::groups;
//! let service = groups::members("system-service").unwrap();
//! assert!(service.contains(&"openat") && !service.contains(&"mount"));
//! assert_eq!(groups::members("basic_io"), groups::members("basic-io"));
//! assert!(groups::members("rust_runtime").unwrap().contains(&"rt_sigreturn"));
//! ```

pub use crate::generated::groups::SYSTEMD;

/// The project's own groups: `(name, description, members)`, sorted by name.
pub const OWN: &[(&str, &str, &[&str])] = &[
    (
        "memory",
        "Mapping, unmapping, protecting and locking memory",
        &[
            "brk", "madvise", "mlock", "mlock2", "mmap", "mmap2", "mprotect", "mremap", "munlock",
            "munmap",
        ],
    ),
    // What Rust's own runtime needs after a filter is installed: leaving the process,
    // returning from a signal handler, tearing down a thread (its alternate signal stack
    // and its stack mapping) and waiting on futexes once there are threads.
    (
        "rust_runtime",
        "What Rust's runtime needs to exit, return from signal handlers and end threads",
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
        "time",
        "Reading clocks and sleeping",
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

/// `-` and `_` are the same in a group name.
fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes().zip(b.bytes()).all(|(x, y)| {
            let norm = |c: u8| if c == b'_' { b'-' } else { c };
            norm(x) == norm(y)
        })
}

fn all() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static [&'static str])> {
    SYSTEMD.iter().chain(OWN)
}

/// The group `name` (without `@`): its name as written in the tables, its
/// description and its members, on every ABI (each ABI skips those it lacks).
///
/// ```
/// let (name, help, members) = seccomp_compiler::groups::find("io_event").unwrap();
/// assert_eq!(name, "io-event");
/// assert_eq!(help, "Event loop system calls");
/// assert!(members.contains(&"epoll_wait"));
/// ```
#[must_use]
pub fn find(name: &str) -> Option<(&'static str, &'static str, &'static [&'static str])> {
    all()
        .find(|(n, _, _)| same_name(n, name))
        .map(|&(n, h, m)| (n, h, m))
}

/// The members of a group (see [`find`]).
#[must_use]
pub fn members(name: &str) -> Option<&'static [&'static str]> {
    find(name).map(|(_, _, m)| m)
}

/// Every group's name, systemd's first.
pub fn names() -> impl Iterator<Item = &'static str> {
    all().map(|(n, _, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_whatever_the_separator() {
        let names: Vec<&str> = names().collect();
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                assert!(!same_name(a, b), "`@{a}` and `@{b}`");
            }
        }
    }

    #[test]
    fn systemds_groups_are_flattened_and_its_meaning_wins() {
        let service = members("system-service").unwrap();
        // Nested: @system-service includes @basic-io, @process, @default, …
        for nested in ["basic-io", "process", "default", "network-io", "timer"] {
            for m in members(nested).unwrap() {
                assert!(
                    service.contains(m),
                    "@system-service lacks {m} of @{nested}"
                );
            }
        }
        // systemd's @process, not the project's earlier one: no execve (that is in
        // @default), but clone, fork, kill, prctl, unshare.
        let process = members("process").unwrap();
        assert!(!process.contains(&"execve") && !process.contains(&"getpid"));
        for m in [
            "clone", "clone3", "fork", "kill", "prctl", "unshare", "vfork",
        ] {
            assert!(process.contains(&m), "{m}");
        }
        assert!(members("basic_io").unwrap().contains(&"close_range"));
        // @known: every syscall of every ABI, and @obsolete's members.
        let known = members("known").unwrap();
        for arch in crate::Arch::ALL {
            for s in arch.table().syscalls {
                assert!(known.contains(&s.name), "{arch} {}", s.name);
            }
        }
        for m in members("obsolete").unwrap() {
            assert!(known.contains(m), "{m}");
        }
        for (_, _, m) in all() {
            assert!(
                m.windows(2).all(|w| w[0] < w[1]),
                "members sorted and unique"
            );
        }
    }
}
