//! Writing the policy of what learn recorded, and checking that it compiles.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use seccomp_compiler::Arch;
use seccomp_compiler::groups;
use seccomp_compiler::tables::{ParamClass, Syscall};

use super::facts::{Facts, Stat};
use crate::report::{Source, first_error};

/// How a parameter's values become a condition.
#[derive(Clone, Copy)]
enum Kind {
    /// `param in [v, …]` (or `==`) when at most this many values were seen.
    Values(usize),
    /// `param & mask in [v & mask, …]` when those do not cover every value the
    /// mask allows (`all` lists those).
    Masked { mask: u64, all: &'static [u64] },
    /// `param & bits == 0` when no value seen had any of the bits.
    Without(u64),
    /// `param & bits == bits` when every value seen had all the bits.
    With(u64),
}

/// The parameters that tell a syscall's uses apart, by the kernel's names.
const DISCRIMINATORS: &[(&str, &str, Kind, &str)] = &[
    ("socket", "family", Kind::Values(8), "AF_*"),
    (
        "socket",
        "type",
        Kind::Masked {
            mask: 0xf,
            all: &[],
        },
        "type & SOCK_TYPE_MASK",
    ),
    ("ioctl", "cmd", Kind::Values(16), "request numbers"),
    ("fcntl", "cmd", Kind::Values(12), "F_*"),
    ("fcntl64", "cmd", Kind::Values(12), "F_*"),
    ("prctl", "option", Kind::Values(8), "PR_*"),
    (
        "openat",
        "flags",
        Kind::Masked {
            mask: 3,
            all: &[0, 1, 2],
        },
        "flags & O_ACCMODE",
    ),
    (
        "open",
        "flags",
        Kind::Masked {
            mask: 3,
            all: &[0, 1, 2],
        },
        "flags & O_ACCMODE",
    ),
    ("mmap", "prot", Kind::Without(4), "without PROT_EXEC"),
    ("mmap2", "prot", Kind::Without(4), "without PROT_EXEC"),
    ("mprotect", "prot", Kind::Without(4), "without PROT_EXEC"),
    (
        "pkey_mprotect",
        "prot",
        Kind::Without(4),
        "without PROT_EXEC",
    ),
    (
        "clone",
        "clone_flags",
        Kind::With(0x1_0000),
        "with CLONE_THREAD",
    ),
];

/// The policy text and what compiling it said.
pub(crate) struct Written {
    pub(crate) text: String,
    /// One line per finding: where it compiles, and the first error where not.
    pub(crate) check: Vec<String>,
}

/// A value as the parameter's class compares it (32-bit parameters on their low
/// word, signed where the type is), written as the language reads it.
fn literal(class: ParamClass, v: u64) -> String {
    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    match class {
        ParamClass::Int32 => {
            let s = v as u32 as i32;
            if s < 0 {
                format!("-{}", s.unsigned_abs())
            } else {
                small(u64::from(s.unsigned_abs()))
            }
        }
        ParamClass::Uint32 => small(u64::from(v as u32)),
        ParamClass::Uint16 => small(u64::from(v as u16)),
        _ => small(v),
    }
}

fn narrow(class: ParamClass, v: u64) -> u64 {
    match class {
        ParamClass::Int32 | ParamClass::Uint32 => v & 0xffff_ffff,
        ParamClass::Uint16 => v & 0xffff,
        _ => v,
    }
}

fn small(v: u64) -> String {
    if v < 10 {
        v.to_string()
    } else {
        format!("{v:#x}")
    }
}

/// Whether `name`'s parameter `param` can be named on every ABI that has `name`:
/// the ABIs where it cannot, if any.
fn unnameable_on(name: &str, param: &str) -> Vec<Arch> {
    Arch::ALL
        .iter()
        .copied()
        .filter(|a| {
            a.syscall(name).is_some_and(|s: &Syscall| {
                !s.params.is_some_and(|ps| {
                    ps.iter().any(|p| {
                        p.name == param
                            && !matches!(p.class, ParamClass::Split64 | ParamClass::AfterSplit64)
                    })
                })
            })
        })
        .collect()
}

/// The condition for one syscall, with its comment; `None` for "unconditional".
fn condition(arch: Arch, name: &str, stat: &Stat, notes: &mut Vec<String>) -> Option<String> {
    let sc = arch.syscall(name)?;
    let params = sc.params?;
    let mut parts = Vec::new();
    for &(_, param, kind, what) in DISCRIMINATORS.iter().filter(|d| d.0 == name) {
        let Some(index) = params.iter().position(|p| p.name == param) else {
            continue;
        };
        let class = params[index].class;
        let Some(seen) = &stat.args[index].0 else {
            continue;
        };
        if seen.is_empty() {
            continue;
        }
        let lacking = unnameable_on(name, param);
        if !lacking.is_empty() {
            let names: Vec<&str> = lacking.iter().map(|a| a.as_str()).collect();
            notes.push(format!(
                "`{param}` ({what}) is not checked: {} cannot name it",
                names.join(", ")
            ));
            continue;
        }
        let seen: BTreeSet<u64> = seen.iter().map(|&v| narrow(class, v)).collect();
        let list = |vals: &BTreeSet<u64>, operand: &str| {
            let lits: Vec<String> = vals.iter().map(|&v| literal(class, v)).collect();
            if lits.len() == 1 {
                format!("{operand} == {}", lits[0])
            } else {
                format!("{operand} in [{}]", lits.join(", "))
            }
        };
        match kind {
            Kind::Values(max) if seen.len() <= max => {
                parts.push(list(&seen, param));
                notes.push(format!("{param}: {what}"));
            }
            Kind::Values(max) => {
                notes.push(format!("{param} not checked: more than {max} values seen"))
            }
            Kind::Masked { mask, all } => {
                let masked: BTreeSet<u64> = seen.iter().map(|v| v & mask).collect();
                if !all.is_empty() && all.iter().all(|a| masked.contains(a)) {
                    continue;
                }
                parts.push(list(&masked, &format!("{param} & {}", small(mask))));
                notes.push(format!("{param}: {what}"));
            }
            Kind::Without(bits) => {
                if seen.iter().all(|v| v & bits == 0) {
                    parts.push(format!("{param} & {} == 0", small(bits)));
                    notes.push(format!("{param}: {what}"));
                }
            }
            Kind::With(bits) => {
                if seen.iter().all(|v| v & bits == bits) {
                    parts.push(format!("{param} & {} == {}", small(bits), small(bits)));
                    notes.push(format!("{param}: {what}"));
                }
            }
        }
    }
    (!parts.is_empty()).then(|| parts.join(" && "))
}

/// `name?` where some ABI lacks the name.
fn target(name: &str) -> String {
    if Arch::ALL.iter().all(|a| a.syscall(name).is_some()) {
        name.to_owned()
    } else {
        format!("{name}?")
    }
}

/// The groups whose members on `arch` were all seen, largest first, each adding
/// at least one syscall the groups before it do not have. Groups with members
/// that carry conditions or actions of their own are left out: their meaning is
/// not "these syscalls".
fn groups_covering(arch: Arch, seen: &BTreeSet<&str>) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut candidates: Vec<(&'static str, Vec<&'static str>)> = groups::names()
        .filter(|n| *n != "known")
        .filter_map(|n| {
            let members = groups::members(n)?;
            if members.iter().any(|m| groups::member_syscall(m) != *m) {
                return None;
            }
            let here: Vec<&'static str> = members
                .iter()
                .copied()
                .filter(|m| arch.syscall(m).is_some())
                .collect();
            (here.len() >= 2 && here.iter().all(|m| seen.contains(m))).then_some((n, here))
        })
        .collect();
    candidates.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let mut covered: BTreeSet<&str> = BTreeSet::new();
    let mut chosen = Vec::new();
    for (n, here) in candidates {
        if here.iter().any(|m| !covered.contains(m)) {
            covered.extend(here.iter().copied());
            chosen.push((n, here));
        }
    }
    chosen
}

/// The lints a learned policy trips say what the program itself did (it forked, say,
/// while it never called `execve`): the policy accepts them, with the reason.
fn accept_what_the_program_did(body: &mut String) {
    use seccomp_compiler::{lints, resolve, syntax};
    let Ok(ast) = syntax::parse_str(body) else {
        return;
    };
    let mut fired: BTreeMap<String, String> = BTreeMap::new();
    for &a in Arch::ALL {
        let Ok(policy) = resolve::resolve(&ast, a) else {
            continue;
        };
        for (name, d) in lints::check_named(&ast, &policy) {
            fired.entry(name.to_owned()).or_insert(d.message);
        }
    }
    for (name, why) in fired {
        writeln!(body, "allow: {name}; // what the program did: {why}").unwrap();
    }
}

/// The policy of `facts`, compiled for its ABI and for every other one.
pub(crate) fn write(facts: &Facts) -> Written {
    let arch = facts.arch;
    let mut body = String::new();
    let named: BTreeMap<&str, &Stat> = facts
        .syscalls
        .iter()
        .filter(|(n, _)| !n.starts_with('#'))
        .map(|(n, s)| (n.as_str(), s))
        .collect();
    let seen: BTreeSet<&str> = named.keys().copied().collect();
    let chosen = groups_covering(arch, &seen);
    let in_group: BTreeSet<&str> = chosen.iter().flat_map(|g| g.1.iter().copied()).collect();

    let mut socket_checked = false;
    let mut rules = String::new();
    for (&name, stat) in &named {
        let mut notes = Vec::new();
        let cond = condition(arch, name, stat, &mut notes);
        let count = format!(
            "{} call{}",
            stat.count,
            if stat.count == 1 { "" } else { "s" }
        );
        let note = if notes.is_empty() {
            String::new()
        } else {
            format!("; {}", notes.join("; "))
        };
        match cond {
            Some(c) => {
                socket_checked |= name == "socket";
                writeln!(rules, "{}: {c}; // {count}{note}", target(name)).unwrap();
            }
            None if in_group.contains(name) => {}
            None => writeln!(rules, "{}; // {count}{note}", target(name)).unwrap(),
        }
    }
    for (group, members) in &chosen {
        let counts: Vec<String> = members
            .iter()
            .map(|m| format!("{m} {}", named[m].count))
            .collect();
        writeln!(
            body,
            "@{group}; // every member on {arch} was seen: {}",
            counts.join(", ")
        )
        .unwrap();
    }
    if socket_checked && !seen.contains("socketcall") {
        // Where socketcall exists, the socket rule's check cannot be carried over
        // to it: deny it, so that libc makes the direct call.
        writeln!(
            body,
            "socketcall? => errno(ENOSYS); // where it exists: libc then calls socket itself, \
             whose arguments the filter sees"
        )
        .unwrap();
    }
    body.push_str(&rules);
    for (name, stat) in facts.syscalls.iter().filter(|(n, _)| n.starts_with('#')) {
        writeln!(
            body,
            "// not allowed: syscall number {} ({} calls), which {arch}'s table does not name",
            &name[1..],
            stat.count
        )
        .unwrap();
    }
    if seen.contains("rt_sigaction") && !seen.contains("rt_sigreturn") {
        writeln!(
            body,
            "rt_sigreturn?; // not seen, but a signal handler the program installs cannot return without it"
        )
        .unwrap();
    }
    body.push_str("default => kill;\n");
    accept_what_the_program_did(&mut body);

    // Compile for the host ABI and for every other one.
    let src = Source {
        name: "<learned policy>".to_owned(),
        text: body.clone(),
    };
    let mut check = Vec::new();
    let mut failed = Vec::new();
    for &a in Arch::ALL {
        if let Err(e) = first_error(&src, a) {
            failed.push(a);
            check.push(format!("the policy does not compile for {a}: {e}"));
        }
    }
    let summary = if failed.is_empty() {
        format!(
            "compiles for {arch} and for all {} ABIs (`seccompc check`)",
            Arch::ALL.len()
        )
    } else if failed.contains(&arch) {
        format!("DOES NOT COMPILE for {arch}, the ABI it was learned on (see the errors printed)")
    } else {
        let names: Vec<&str> = failed.iter().map(|a| a.as_str()).collect();
        format!(
            "compiles for {arch}; not for {} of {} ABIs: {}",
            failed.len(),
            Arch::ALL.len(),
            names.join(", ")
        )
    };
    check.insert(0, format!("the policy {summary}"));

    let mut text = String::new();
    writeln!(
        text,
        "// Learned by `seccompc learn` on {arch}: {} calls of {} syscalls in {} run{}.",
        facts.total(),
        facts.syscalls.len(),
        facts.runs.len(),
        if facts.runs.len() == 1 { "" } else { "s" }
    )
    .unwrap();
    for r in &facts.runs {
        writeln!(text, "//   {}", r.replace('\n', " ")).unwrap();
    }
    writeln!(
        text,
        "// It allows what those runs did and nothing else: review it, and learn again\n\
         // (--merge) from runs that exercise other paths. Argument values are {arch}'s.\n\
         // The policy {summary}.\n"
    )
    .unwrap();
    text.push_str(&body);
    text.push('\n');
    text.push_str(&facts.to_block());
    Written { text, check }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(calls: &[(&str, [u64; 6])]) -> Facts {
        let arch = Arch::X86_64;
        let mut f = Facts::new(arch);
        f.runs.push("test".to_owned());
        for (name, args) in calls {
            #[allow(clippy::cast_possible_wrap)]
            f.record(
                arch.audit_arch(),
                arch.syscall(name).unwrap().nr as i32,
                *args,
            );
        }
        f
    }

    #[test]
    fn conditions_where_values_are_few_and_compile_everywhere() {
        let f = facts(&[
            ("openat", [0, 0, 0x80000, 0, 0, 0]),
            ("openat", [0, 0, 0x80000 | 0x40, 0, 0, 0]),
            ("mmap", [0, 4096, 3, 0x22, 0xffff_ffff, 0]),
            ("mprotect", [0, 4096, 1, 0, 0, 0]),
            ("clone", [0x3d0f00, 0, 0, 0, 0, 0]),
            ("socket", [1, 0x80001, 0, 0, 0, 0]),
            ("socket", [2, 2, 0, 0, 0, 0]),
            ("ioctl", [1, 0x5401, 0, 0, 0, 0]),
            ("epoll_wait", [0; 6]),
            ("exit_group", [0; 6]),
        ]);
        let w = write(&f);
        let t = &w.text;
        assert!(t.contains("openat: flags & 3 == 0;"), "{t}");
        assert!(t.contains("mprotect: prot & 4 == 0;"), "{t}");
        // A condition is written only where every ABI with the syscall can name
        // the parameter; elsewhere it would not compile, so it is left out and the
        // comment says so (which ABIs name what is the tables' business).
        for (name, param, cond, what) in [
            ("mmap", "prot", "prot & 4 == 0", "without PROT_EXEC"),
            (
                "clone",
                "clone_flags",
                "clone_flags & 0x10000 == 0x10000",
                "with CLONE_THREAD",
            ),
            ("ioctl", "cmd", "cmd == 0x5401", "request numbers"),
        ] {
            let lacking = unnameable_on(name, param);
            let line = if lacking.is_empty() {
                format!("\n{}: {cond}; // 1 call; {param}: {what}\n", target(name))
            } else {
                let names: Vec<&str> = lacking.iter().map(|a| a.as_str()).collect();
                format!(
                    "\n{}; // 1 call; `{param}` ({what}) is not checked: {} cannot name it\n",
                    target(name),
                    names.join(", ")
                )
            };
            assert!(t.contains(&line), "{line}\n{t}");
        }
        // s390x's mmap takes its arguments in memory.
        assert!(unnameable_on("mmap", "prot").contains(&Arch::S390x));
        assert!(unnameable_on("mprotect", "prot").is_empty());
        assert!(
            t.contains("socket: family in [1, 2] && type & 0xf in [1, 2];"),
            "{t}"
        );
        assert!(t.contains("socketcall? => errno(ENOSYS);"), "{t}");
        assert!(t.contains("epoll_wait?;"), "{t}");
        assert!(t.trim_end().contains("default => kill;"), "{t}");
        assert_eq!(w.check.len(), 1, "{:?}", w.check);
        assert!(
            w.check[0].contains("compiles for x86_64 and for all"),
            "{:?}",
            w.check
        );
    }

    #[test]
    fn exec_mappings_or_every_access_mode_leave_the_parameter_unchecked() {
        let f = facts(&[
            ("clone", [0x3d0f00, 0, 0, 0, 0, 0]),
            ("clone", [0x1200011, 0, 0, 0, 0, 0]),
            ("mprotect", [0, 4096, 5, 0, 0, 0]),
            ("mprotect", [0, 4096, 1, 0, 0, 0]),
            ("fcntl", [3, 1, 0, 0, 0, 0]),
            ("openat", [0, 0, 0, 0, 0, 0]),
            ("openat", [0, 0, 1, 0, 0, 0]),
            ("openat", [0, 0, 2, 0, 0, 0]),
        ]);
        let t = write(&f).text;
        assert!(t.contains("\nclone; //"), "{t}");
        assert!(t.contains("\nmprotect; // 2 calls\n"), "{t}");
        assert!(t.contains("\nopenat; // 3 calls\n"), "{t}");
    }

    #[test]
    fn groups_only_where_every_member_was_seen() {
        let arch = Arch::X86_64;
        let members: Vec<&str> = groups::members("timer")
            .unwrap()
            .iter()
            .copied()
            .filter(|m| arch.syscall(m).is_some())
            .collect();
        let calls: Vec<(&str, [u64; 6])> = members.iter().map(|m| (*m, [0; 6])).collect();
        let t = write(&facts(&calls)).text;
        assert!(t.contains("@timer;"), "{t}");
        for m in &members {
            assert!(!t.contains(&format!("\n{m};")), "{m} is in the group: {t}");
        }
        // One member fewer: no group, the names themselves.
        let t = write(&facts(&calls[1..])).text;
        assert!(!t.contains("@timer"), "{t}");
    }
}
