//! Flag parameters whose unknown bits the kernel ignores.
//!
//! `mmap` ignores the `prot` bits it does not know, `mount` its unknown `flags`,
//! `open` and `openat` theirs, … (`xtask/data/unknown-bits.tsv`, generated into
//! [`crate::generated::unknown_bits`]). A call that sets such a bit does what the
//! same call without it does, but compares differently: `prot == PROT_EXEC =>
//! errno(EPERM)` does not match `PROT_EXEC | 1 << 30`, which maps the memory
//! executable all the same. So an unmasked comparison of such a parameter is an
//! error wherever unknown bits can let a call escape its rule: where they can make
//! the comparison false and that keeps a call from a rule that does not allow it,
//! or make it true and that lets a call into a rule that allows it. A masked
//! comparison (`prot & (PROT_READ | PROT_WRITE | PROT_EXEC) == PROT_EXEC`) says
//! which bits the rule is about, and is accepted.

use std::collections::HashSet;

use crate::Arch;
use crate::diag::Diagnostic;
use crate::generated::unknown_bits::UNKNOWN_BITS;
use crate::syntax::ast::{self, ActionKind, CmpOp, Predicate, Statement, Target};
use crate::tables::{ParamClass, Syscall, UnknownBits};

/// The errors of `ast` compiled for `arches`, one per comparison.
#[must_use]
pub fn check(ast: &ast::Policy, arches: &[Arch]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for st in &ast.statements {
        let Statement::Rule(rule) = st else { continue };
        let Some(pred) = &rule.predicate else {
            continue;
        };
        // `log` runs the call too; every other action keeps it from running as asked.
        let allows = rule
            .action
            .as_ref()
            .is_none_or(|a| matches!(a.kind, ActionKind::Allow | ActionKind::Log));
        for &arch in arches {
            let sc = match &rule.target {
                Target::Syscall { name, .. } => arch.syscall(&name.name),
                Target::Number(nr, _) => arch.syscall_by_nr(*nr),
                Target::Group(_) => None,
            };
            let Some(sc) = sc else { continue };
            let cx = Cx {
                arch,
                sc,
                allows,
                out: &mut out,
                seen: &mut seen,
            };
            cx.walk(pred, true);
        }
    }
    out
}

struct Cx<'a> {
    arch: Arch,
    sc: &'static Syscall,
    allows: bool,
    out: &'a mut Vec<Diagnostic>,
    seen: &'a mut HashSet<String>,
}

/// Which way unknown bits can move a comparison's truth.
#[derive(Clone, Copy)]
struct Moves {
    to_false: bool,
    to_true: bool,
}

impl Cx<'_> {
    fn walk(mut self, p: &Predicate, positive: bool) -> Self {
        match p {
            Predicate::Or(a, b) | Predicate::And(a, b) => {
                self = self.walk(a, positive);
                self.walk(b, positive)
            }
            Predicate::Not(_, a) => self.walk(a, !positive),
            Predicate::Compare {
                operand,
                op,
                op_span,
                value,
            } => {
                self.leaf(
                    operand,
                    Some(*op),
                    *op_span,
                    std::slice::from_ref(value),
                    positive,
                );
                self
            }
            Predicate::In { operand, values } => {
                self.leaf(operand, None, operand.arg.span, values, positive);
                self
            }
        }
    }

    /// The parameter an operand names, if it is one whose unknown bits are ignored.
    fn loose(&self, o: &ast::Operand) -> Option<(&'static UnknownBits, ParamClass)> {
        let ps = self.sc.params?;
        // The kernel's name, or the man page's for it (`mount`'s `mountflags`).
        let position = |n: &str| ps.iter().position(|p| p.name == n);
        let by_name = position(&o.arg.name)
            .or_else(|| crate::aliases::kernel_name(self.sc.name, &o.arg.name).and_then(position));
        let i = match by_name {
            Some(i) => i,
            None => {
                let n = o.arg.name.strip_prefix("arg")?.parse::<usize>().ok()?;
                (o.arg.name.len() == 4 && n < ps.len()).then_some(n)?
            }
        };
        let u = UNKNOWN_BITS.iter().find(|u| {
            u.abi == self.arch.as_str() && u.syscall == self.sc.name && u.param == ps[i].name
        })?;
        Some((u, ps[i].class))
    }

    fn leaf(
        &mut self,
        o: &ast::Operand,
        op: Option<CmpOp>,
        span: proc_macro2::Span,
        values: &[ast::Value],
        positive: bool,
    ) {
        if !o.masks.is_empty() {
            return;
        }
        let Some((u, class)) = self.loose(o) else {
            return;
        };
        // Setting bits makes an unsigned value larger; a signed one may turn negative.
        let signed = matches!(class, ParamClass::Int32 | ParamClass::Long);
        let m = match op {
            None | Some(CmpOp::Eq) => Moves {
                to_false: true,
                to_true: false,
            },
            Some(CmpOp::Ne) => Moves {
                to_false: false,
                to_true: true,
            },
            Some(CmpOp::Lt | CmpOp::Le) => Moves {
                to_false: true,
                to_true: signed,
            },
            Some(CmpOp::Gt | CmpOp::Ge) => Moves {
                to_false: signed,
                to_true: true,
            },
        };
        // Through `!`, a comparison turning false turns the condition true.
        let (cond_false, cond_true) = if positive {
            (m.to_false, m.to_true)
        } else {
            (m.to_true, m.to_false)
        };
        let escapes = if self.allows { cond_true } else { cond_false };
        if !escapes {
            return;
        }
        let written = match op {
            Some(op) => format!("{} {} {}", o.arg.name, op.as_str(), show(&values[0])),
            None => format!(
                "{} in [{}]",
                o.arg.name,
                values.iter().map(show).collect::<Vec<_>>().join(", ")
            ),
        };
        // Spelled as the user spells values: constant names with the same path, or
        // the number (on this ABI) with the names beside it.
        let names = u.known.join(" | ");
        let (mask, note) = match values.iter().find_map(path_prefix) {
            Some(prefix) => (
                format!(
                    "({})",
                    u.known
                        .iter()
                        .map(|k| format!("{prefix}{k}"))
                        .collect::<Vec<_>>()
                        .join(" | ")
                ),
                String::new(),
            ),
            None => (
                format!("{:#x}", u.known_value),
                format!(", where {:#x} is {names} on {}", u.known_value, self.arch),
            ),
        };
        let rewrite = match op {
            Some(op) => format!(
                "{} & {mask} {} {}",
                o.arg.name,
                op.as_str(),
                show(&values[0])
            ),
            None => format!(
                "{} & {mask} in [{}]",
                o.arg.name,
                values.iter().map(show).collect::<Vec<_>>().join(", ")
            ),
        };
        let how = if self.allows {
            "into this rule, which allows it"
        } else {
            "past this rule"
        };
        let message = format!(
            "`{written}` can be evaded: the kernel ignores the bits of `{}`'s `{}` it does not know, so a call that adds one (such as `1 << 30`) does the same but slips {how}",
            self.sc.name, o.arg.name
        );
        let key = format!("{span:?} {message}");
        if self.seen.insert(key) {
            self.out.push(Diagnostic::error(span, message).with_help(format!(
                "compare only the bits the kernel knows: `{rewrite}`{note} (a masked comparison says which bits the rule is about)"
            )));
        }
    }
}

/// A value as the user wrote it.
fn show(v: &ast::Value) -> String {
    match v {
        ast::Value::Int(n, _) => n.to_string(),
        ast::Value::Path(p, _) => p.to_string().replace(" :: ", "::").replace(":: ", "::"),
        ast::Value::Or(parts, _) => parts.iter().map(show).collect::<Vec<_>>().join(" | "),
        ast::Value::Param(n) => format!("${}", n.name),
    }
}

/// `libc::` of `libc::PROT_EXEC`: how the user spells constants.
fn path_prefix(v: &ast::Value) -> Option<String> {
    match v {
        ast::Value::Path(..) => {
            let s = show(v);
            Some(
                s.rfind("::")
                    .map_or(String::new(), |i| s[..i + 2].to_owned()),
            )
        }
        ast::Value::Or(parts, _) => parts.iter().find_map(path_prefix),
        _ => None,
    }
}
