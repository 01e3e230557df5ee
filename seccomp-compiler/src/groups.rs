//! Named groups of syscalls (`@name`). Members absent on an ABI are skipped.
//!
//! Two families, one namespace:
//!
//! - **systemd's groups** ([`SYSTEMD`]), with systemd's names and members
//!   (`@system-service`, `@file-system`, `@basic-io`, …), generated from systemd's own
//!   table; where one of the project's earlier groups had the same name
//!   (`@basic_io`, `@process`, `@signal`), systemd's meaning is the one it has now.
//! - **the project's own** ([`OWN`]): `@rust_runtime`, `@rust_threads`, `@memory`,
//!   `@time`; some of their members carry a condition (`write: fd == 2`).
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
///
/// A member is a syscall name, or one rule of the policy language for one syscall
/// (`clone: clone_flags & 0x10000 == 0x10000`, `clone3 => errno(ENOSYS)`), whose
/// condition and action it keeps; [`member_syscall`] gives its syscall's name. A
/// conditional member is left out on an ABI whose syscall lacks the parameters its
/// condition names (the call then falls to the default): x86's and s390x's `mmap`
/// take one pointer to their arguments (`sys_old_mmap`), so `@rust_threads` does not
/// allow it there — x86 maps with `mmap2`, and a program on s390x that spawns threads
/// must allow `mmap` itself (a filter cannot see its `prot`). Signal numbers in
/// conditions are the same on every ABI (`SIGABRT` 6, `SIGSEGV` 11, glibc's
/// `SIGSETXID` 33); `SIGBUS`, which differs (7, or 10 on mips and parisc), is left
/// out.
pub const OWN: &[(&str, &str, &[&str])] = &[
    (
        "memory",
        "Mapping, unmapping, protecting and locking memory",
        &[
            "brk", "madvise", "mlock", "mlock2", "mmap", "mmap2", "mprotect", "mremap", "munlock",
            "munmap",
        ],
    ),
    // What Rust's std needs once a filter is installed: leaving the process; printing
    // a panic's message (the thread's id, then `write` to stderr) and unwinding; its
    // SIGSEGV handler (for stack overflows) giving the fault back to the default
    // action; `abort()`, which glibc does with `tgkill(getpid(), gettid(), SIGABRT)`
    // and, if that returns, by resetting SIGABRT's handler; returning from signal
    // handlers; and ending threads (their alternate signal stack and stack mapping,
    // futex wake-ups of joiners).
    (
        "rust_runtime",
        "What Rust's std needs to exit, print a panic's message, abort, return from signal handlers and end threads",
        &[
            "exit",
            "exit_group",
            "futex",
            "futex_time64",
            "getpid",
            "gettid",
            "madvise",
            "munmap",
            "rt_sigaction: sig == 6 || sig == 11",
            "rt_sigprocmask",
            "rt_sigreturn",
            "sched_yield",
            "sigaltstack",
            "sigreturn",
            "tgkill: sig == 6",
            "write: fd == 2",
        ],
    ),
    // Spawning and joining threads with std (glibc's pthread_create): stacks mapped
    // PROT_NONE then made read-write (never executable), malloc's per-thread arenas,
    // `clone` only with CLONE_THREAD (0x10000), so no new process can be made;
    // `clone3` is answered ENOSYS, on which glibc falls back to `clone` (its flags
    // are behind a pointer, which a filter cannot read). Thread start-up: rseq,
    // set_robust_list, sched_getaffinity, the thread's name (prctl PR_SET_NAME, 15),
    // glibc's SIGSETXID handler (signal 33), getrandom.
    (
        "rust_threads",
        "Spawning, starting and joining threads, never processes (clone with CLONE_THREAD)",
        &[
            "clone3 => errno(ENOSYS)",
            "clone: clone_flags & 0x10000 == 0x10000",
            "exit",
            "futex",
            "futex_time64",
            "getrandom",
            "gettid",
            "madvise",
            "mmap2: prot & 4 == 0",
            "mmap: prot & 4 == 0",
            "mprotect: prot & 4 == 0",
            "munmap",
            "prctl: option == 15",
            "rseq",
            "rt_sigaction: sig == 33",
            "rt_sigprocmask",
            "sched_getaffinity",
            "sched_yield",
            "set_robust_list",
            "sigaltstack",
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

/// The syscall a group member is about: the member itself, or the name a member
/// written as a rule starts with.
///
/// ```
/// use seccomp_compiler::groups::member_syscall;
/// assert_eq!(member_syscall("read"), "read");
/// assert_eq!(member_syscall("write: fd == 2"), "write");
/// assert_eq!(member_syscall("clone3 => errno(ENOSYS)"), "clone3");
/// ```
#[must_use]
pub fn member_syscall(member: &str) -> &str {
    let end = member
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(member.len());
    &member[..end]
}

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

    #[test]
    fn every_member_names_a_syscall_some_abi_has() {
        for (group, _, members) in all() {
            for m in *members {
                let name = member_syscall(m);
                assert!(
                    crate::Arch::ALL.iter().any(|a| a.syscall(name).is_some()),
                    "@{group}: `{m}`"
                );
            }
        }
    }

    #[test]
    fn every_group_compiles_on_every_abi() {
        for name in names() {
            for &arch in crate::Arch::ALL {
                let policy = format!("@{name}; default => kill;");
                if let Err(e) = crate::compile_str(&policy, arch) {
                    panic!("@{name} on {arch}: {e:?}");
                }
            }
        }
    }

    #[test]
    fn members_with_the_same_action_add_up_and_another_action_replaces() {
        use crate::ir::Action;
        let abi = |src: &str| {
            let ast = crate::syntax::parse_str(src).unwrap();
            crate::resolve::resolve(&ast, crate::Arch::X86_64)
                .unwrap()
                .abis
                .remove(0)
        };
        let rt_sigaction = 13;
        // Both groups' rt_sigaction conditions pass.
        let both = abi("@rust_runtime; @rust_threads; default => kill;");
        assert_eq!(both.syscalls[&rt_sigaction].rules.len(), 2);
        // An unconditional member of a later group with the same action covers them.
        let wide = abi("@rust_runtime; @rust_threads; @signal; default => kill;");
        let rules = &wide.syscalls[&rt_sigaction].rules;
        assert!(rules.len() == 1 && rules[0].predicate.is_none());
        // Another action: the last group decides.
        let denied = abi("@rust_runtime; @signal => errno(EPERM); default => kill;");
        let rules = &denied.syscalls[&rt_sigaction].rules;
        assert!(rules.len() == 1 && rules[0].action == Action::Errno(1));
        // Every conditional member resolves on these ABIs (not on s390x, whose `mmap`
        // takes its arguments in memory: `sys_old_mmap`).
        for arch in [
            crate::Arch::X86_64,
            crate::Arch::Aarch64,
            crate::Arch::Riscv64,
        ] {
            let ast =
                crate::syntax::parse_str("@rust_runtime; @rust_threads; default => kill;").unwrap();
            let abi = crate::resolve::resolve(&ast, arch).unwrap().abis.remove(0);
            for (_, _, members) in OWN {
                for m in members.iter().filter(|m| member_syscall(m) != **m) {
                    let Some(sc) = arch.syscall(member_syscall(m)) else {
                        continue;
                    };
                    assert!(abi.syscalls.contains_key(&sc.nr), "{arch}: `{m}` left out");
                }
            }
        }
        // clone3 keeps its own action inside an allowing group.
        let threads = abi("@rust_threads; default => kill;");
        assert_eq!(threads.syscalls[&435].rules[0].action, Action::Errno(38));
    }
}
