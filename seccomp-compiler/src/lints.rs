//! Lints: policies that compile but cannot work, or allow more than they say.
//!
//! A proc macro cannot warn on stable Rust, so a lint is an error whose message
//! says how to accept it: `allow: NAME, …;` in the policy. The `seccomp!` macro and
//! `seccompc` run the lints ([`crate::compile_linted`]); [`crate::compile`] does not.
//!
//! | lint | fires when |
//! |---|---|
//! | `no_exit` | the default denies and no rule lets `exit_group` (or `exit`) through: the program cannot end by itself |
//! | `no_sigreturn` | `rt_sigaction` may pass but `rt_sigreturn` (`sigreturn`) never does: a signal handler cannot return |
//! | `memory_errno` | `brk`, `mmap`, `mmap2` or `munmap` always fails with an errno: the C library does not expect it (glibc takes a failed `brk` for success) |
//! | `clone_allows_fork` | `execve`, `fork` or `vfork` is denied while `clone3` may pass, or `clone` passes without a condition: either makes a new process |
//! | `equivalent_allowed` | a syscall is denied while another one that does the same passes (`open` denied, `openat` allowed; `dup2`/`dup3`; `mmap`/`mmap2`; …) |
//!
//! ```
//! use seccomp_compiler::{Arch, compile_linted, syntax};
//! let lints = |src: &str| compile_linted(&syntax::parse_str(src).unwrap(), Arch::X86_64).err();
//! let errs = lints("open => errno(EPERM); default => allow;").unwrap();
//! assert!(errs[0].message.contains("`openat`"));
//! assert!(lints("open => errno(EPERM); allow: equivalent_allowed; default => allow;").is_none());
//! ```

use proc_macro2::Span;

use crate::diag::Diagnostic;
use crate::ir::Action;
use crate::resolved::{AbiRules, Policy};
use crate::syntax::ast::{self, Statement};

/// Every lint's name.
pub const NAMES: &[&str] = &[
    "no_exit",
    "no_sigreturn",
    "memory_errno",
    "clone_allows_fork",
    "equivalent_allowed",
];

/// Syscalls that do the same thing, for `equivalent_allowed`.
const EQUIVALENT: &[&[&str]] = &[
    &["open", "openat", "openat2", "creat"],
    &["dup2", "dup3"],
    &["mmap", "mmap2"],
    &[
        "stat",
        "lstat",
        "stat64",
        "lstat64",
        "newfstatat",
        "fstatat64",
        "statx",
    ],
    &["rename", "renameat", "renameat2"],
    &["unlink", "unlinkat"],
    &["mkdir", "mkdirat"],
    &["mknod", "mknodat"],
    &["chmod", "fchmodat", "fchmodat2"],
    &["chown", "lchown", "chown32", "lchown32", "fchownat"],
    &["link", "linkat"],
    &["symlink", "symlinkat"],
    &["access", "faccessat", "faccessat2"],
    &["readlink", "readlinkat"],
    &["execve", "execveat"],
    &["fork", "vfork"],
    &["poll", "ppoll", "ppoll_time64"],
    &["select", "_newselect", "pselect6", "pselect6_time64"],
    &["epoll_wait", "epoll_pwait", "epoll_pwait2"],
    &["send", "sendto", "sendmsg", "sendmmsg"],
    &["recv", "recvfrom", "recvmsg", "recvmmsg", "recvmmsg_time64"],
    &["accept", "accept4"],
    &["pipe", "pipe2"],
    &["eventfd", "eventfd2"],
    &["signalfd", "signalfd4"],
    &["inotify_init", "inotify_init1"],
    &["umount", "umount2"],
    &["mount", "move_mount"],
    &["getdents", "getdents64"],
    &[
        "utime",
        "utimes",
        "futimesat",
        "utimensat",
        "utimensat_time64",
    ],
    &["kill", "tkill", "tgkill"],
    &["waitpid", "wait4", "waitid"],
    &["truncate", "truncate64"],
    &["ftruncate", "ftruncate64"],
    &["sendfile", "sendfile64"],
    &[
        "setuid",
        "setuid32",
        "setreuid",
        "setreuid32",
        "setresuid",
        "setresuid32",
    ],
    &[
        "setgid",
        "setgid32",
        "setregid",
        "setregid32",
        "setresgid",
        "setresgid32",
    ],
];

fn passes(a: Action) -> bool {
    matches!(a, Action::Allow | Action::Log)
}

fn denies(a: Action) -> bool {
    matches!(
        a,
        Action::KillProcess | Action::KillThread | Action::Errno(_) | Action::Trap(_)
    )
}

/// What one syscall of the ABI gets.
struct View<'a> {
    abi: &'a AbiRules,
}

impl View<'_> {
    fn nr(&self, name: &str) -> Option<u32> {
        self.abi.arch.syscall(name).map(|s| s.nr)
    }

    /// The action every call of `name` gets, if there is one.
    fn always(&self, name: &str) -> Option<Action> {
        let nr = self.nr(name)?;
        let Some(rules) = self.abi.syscalls.get(&nr) else {
            return Some(self.abi.default);
        };
        let mut seen: Option<Action> = None;
        for r in &rules.rules {
            if seen.is_some_and(|s| s != r.action) {
                return None;
            }
            seen = Some(r.action);
            if r.predicate.is_none() {
                return seen;
            }
        }
        // Every rule has a condition: the default decides the rest.
        (seen.is_none() || seen == Some(self.abi.default)).then_some(self.abi.default)
    }

    /// Whether some call of `name` gets an action `ok` accepts.
    fn may(&self, name: &str, ok: fn(Action) -> bool) -> bool {
        let Some(nr) = self.nr(name) else {
            return false;
        };
        let Some(rules) = self.abi.syscalls.get(&nr) else {
            return ok(self.abi.default);
        };
        for r in &rules.rules {
            if ok(r.action) {
                return true;
            }
            if r.predicate.is_none() {
                return false;
            }
        }
        ok(self.abi.default)
    }

    /// Whether `name` passes by a rule without condition (not by the default).
    fn passes_unconditionally_by_rule(&self, name: &str) -> Option<Span> {
        let nr = self.nr(name)?;
        let r = self.abi.syscalls.get(&nr)?.rules.first()?;
        (r.predicate.is_none() && passes(r.action)).then_some(r.span)
    }

    /// The span of `name`'s first rule, if the policy names it.
    fn rule_span(&self, name: &str) -> Option<Span> {
        let nr = self.nr(name)?;
        Some(self.abi.syscalls.get(&nr)?.rules.first()?.span)
    }
}

/// The lints of the policy's target ABI (`policy.abis[0]`), but those the policy
/// accepts (`allow: …;`).
#[must_use]
pub fn check(ast: &ast::Policy, policy: &Policy) -> Vec<Diagnostic> {
    check_named(ast, policy)
        .into_iter()
        .map(|(_, d)| d)
        .collect()
}

/// [`check`], each error with its lint's name (one of [`NAMES`]).
#[must_use]
pub fn check_named(ast: &ast::Policy, policy: &Policy) -> Vec<(&'static str, Diagnostic)> {
    let allowed: Vec<&str> = ast
        .statements
        .iter()
        .filter_map(|s| match s {
            Statement::AllowLints(_, names) => Some(names),
            _ => None,
        })
        .flatten()
        .map(|n| n.name.as_str())
        .collect();
    let default_span = ast
        .statements
        .iter()
        .find_map(|s| match s {
            Statement::Default(span, _) => Some(*span),
            _ => None,
        })
        .unwrap_or(ast.span);
    let abi = &policy.abis[0];
    let arch = abi.arch;
    let v = View { abi };
    let mut out = Vec::new();
    let mut lint = |name: &'static str, span: Span, message: String, help: &str| {
        if !allowed.contains(&name) {
            out.push((
                name,
                Diagnostic::error(span, message).with_help(format!(
                    "{help}; if this is what you want, write `allow: {name};` in the policy"
                )),
            ));
        }
    };
    let shown = |a: Action| crate::resolve::action_text(a, arch);

    // no_exit
    if denies(abi.default) && v.nr("exit_group").is_some() {
        let exits = ["exit_group", "exit"].iter().any(|n| v.may(n, passes));
        if !exits {
            lint(
                "no_exit",
                v.rule_span("exit_group").unwrap_or(default_span),
                format!(
                    "the program cannot exit on {arch}: `exit_group` gets `{}`",
                    shown(v.always("exit_group").unwrap_or(abi.default))
                ),
                "add `exit_group;` (or `@rust_runtime;`)",
            );
        }
    }
    // no_sigreturn
    if v.may("rt_sigaction", passes)
        && v.nr("rt_sigreturn").is_some()
        && !["rt_sigreturn", "sigreturn"]
            .iter()
            .any(|n| v.may(n, passes))
    {
        lint(
            "no_sigreturn",
            v.rule_span("rt_sigaction").unwrap_or(default_span),
            format!(
                "signal handlers can be installed but never return on {arch}: `rt_sigreturn` never passes"
            ),
            "add `rt_sigreturn;` (or `@rust_runtime;`)",
        );
    }
    // memory_errno
    let failing: Vec<(&str, Action)> = ["brk", "mmap", "mmap2", "munmap"]
        .into_iter()
        .filter_map(|n| match v.always(n) {
            Some(a @ Action::Errno(_)) => Some((n, a)),
            _ => None,
        })
        .collect();
    if let Some(&(first, a)) = failing.first() {
        let names: Vec<String> = failing.iter().map(|(n, _)| format!("`{n}`")).collect();
        let why = if failing.iter().any(|(n, _)| *n == "brk") {
            "glibc's malloc takes a failed `brk` for success and crashes later"
        } else {
            "the allocator cannot map or unmap memory, and the program aborts or crashes"
        };
        lint(
            "memory_errno",
            v.rule_span(first).unwrap_or(default_span),
            format!(
                "{} always {} with `{}` on {arch}: {why}",
                names.join(", "),
                if failing.len() == 1 { "fails" } else { "fail" },
                shown(a)
            ),
            if failing.len() == 1 {
                "allow it (`@memory;` has it), or deny it with `kill`"
            } else {
                "allow them (`@memory;` has them), or deny them with `kill`"
            },
        );
    }
    // clone_allows_fork
    let no_processes = ["execve", "fork", "vfork"]
        .iter()
        .find(|n| v.always(n).is_some_and(denies));
    if let Some(denied) = no_processes {
        let clone3 = v.may("clone3", passes).then_some("clone3");
        let clone = v.passes_unconditionally_by_rule("clone").map(|_| "clone");
        if let Some(via) = clone3.or(clone) {
            let help = if via == "clone3" {
                "answer `clone3 => errno(ENOSYS);` (its flags are behind a pointer; the C library then uses `clone`) and allow `clone` only with `CLONE_THREAD` (`@rust_threads;` does both)"
            } else {
                "allow `clone` only with `CLONE_THREAD`: `clone: clone_flags & 0x10000 == 0x10000;` (`@rust_threads;`)"
            };
            lint(
                "clone_allows_fork",
                v.rule_span(via).unwrap_or(default_span),
                format!(
                    "`{denied}` is denied, but `{via}` passes and makes new processes as `fork` does"
                ),
                help,
            );
        }
    }
    // equivalent_allowed
    for class in EQUIVALENT {
        for denied in class.iter() {
            let Some(span) = v.rule_span(denied) else {
                continue;
            };
            if !v.always(denied).is_some_and(denies) {
                continue;
            }
            if let Some(other) = class
                .iter()
                .find(|o| *o != denied && v.always(o).is_some_and(passes))
            {
                lint(
                    "equivalent_allowed",
                    span,
                    format!(
                        "`{denied}` is denied but `{other}` passes, and does the same on {arch}"
                    ),
                    &format!("deny `{other}` too"),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Arch;

    fn lints(src: &str, arch: Arch) -> Vec<String> {
        let ast = crate::syntax::parse_str(src).unwrap();
        let policy = crate::resolve::resolve(&ast, arch).unwrap();
        check(&ast, &policy)
            .into_iter()
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn each_lint_fires_and_each_can_be_accepted() {
        let cases = [
            ("no_exit", "read; default => kill;"),
            ("no_sigreturn", "rt_sigaction; exit_group; default => kill;"),
            (
                "memory_errno",
                "brk => errno(ENOMEM); exit_group; default => allow;",
            ),
            ("memory_errno", "exit_group; default => errno(EPERM);"),
            (
                "clone_allows_fork",
                "clone; exit_group; execve => kill; execveat => kill; default => allow;",
            ),
            (
                "clone_allows_fork",
                "clone3; fork => kill; vfork => kill; exit_group; default => allow;",
            ),
            (
                "equivalent_allowed",
                "open => errno(EPERM); default => allow;",
            ),
            ("equivalent_allowed", "dup2 => kill; default => allow;"),
        ];
        for (name, src) in cases {
            let found = lints(src, Arch::X86_64);
            assert!(!found.is_empty(), "{name}: {src}");
            let accepted = format!("allow: {name}; {src}");
            assert!(lints(&accepted, Arch::X86_64).is_empty(), "{accepted}");
        }
    }

    #[test]
    fn policies_that_work_have_no_lints() {
        for src in [
            "read: fd == 0; write: fd == 1; exit_group; default => kill;",
            "@rust_runtime; @rust_threads; @memory; execve => kill; default => errno(EPERM);",
            "open? => errno(EPERM); openat => errno(EPERM); openat2 => errno(EPERM); creat? => errno(EPERM); default => allow;",
            "ptrace => kill; default => allow;",
            "default => allow;",
        ] {
            for arch in [Arch::X86_64, Arch::Aarch64, Arch::X86] {
                assert!(
                    lints(src, arch).is_empty(),
                    "{arch}: {src}: {:?}",
                    lints(src, arch)
                );
            }
        }
    }

    #[test]
    fn the_equivalent_one_is_only_what_the_abi_has() {
        // aarch64 has no `open`: denying openat there leaves nothing equivalent but
        // openat2.
        assert_eq!(
            lints("openat => errno(EPERM); default => allow;", Arch::Aarch64),
            ["`openat` is denied but `openat2` passes, and does the same on aarch64"]
        );
    }
}
