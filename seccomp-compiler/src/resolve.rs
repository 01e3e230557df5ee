//! Names → numbers for one target: `ast::Policy` → [`crate::resolved::Policy`].

use std::collections::{BTreeMap, BTreeSet, HashSet};

use proc_macro2::{Span, TokenStream};
use quote::quote;

use crate::arch::X32_SYSCALL_BIT;
use crate::diag::{Diagnostic, Diagnostics};
use crate::resolved::{
    AbiRules, Action, Compare, Param, Policy, Predicate, Rule, Symbol, SyscallRules, Value, View,
};
use crate::suggest::did_you_mean;
use crate::syntax::ast::{self, ActionKind, CmpOp, ErrnoRef, Statement, Target};
use crate::tables::{ParamClass, Syscall};
use crate::{Arch, groups};

/// Resolves `ast` for the ABI `native` (and whatever else `arch:` admits).
///
/// # Errors
///
/// Every unknown name, out-of-range value and unreachable rule.
pub fn resolve(ast: &ast::Policy, native: Arch) -> Result<Policy, Vec<Diagnostic>> {
    let params = ast
        .param_names()
        .into_iter()
        .map(|name| Param {
            name,
            span: ast.span,
            min: i128::MIN,
            max: i128::MAX,
        })
        .collect();
    let mut cx = Resolver {
        diags: Diagnostics::new(),
        symbols: Vec::new(),
        params,
        seen: HashSet::new(),
    };
    let policy = cx.policy(ast, native);
    cx.diags.propagate()?;
    Ok(policy)
}

struct Resolver {
    diags: Diagnostics,
    symbols: Vec<Symbol>,
    params: Vec<Param>,
    seen: HashSet<(String, String)>,
}

/// The statements that set something once.
#[derive(Default)]
struct Settings<'a> {
    default: Option<&'a ast::Action>,
    bad_arch: Option<&'a ast::Action>,
    unknown: Option<&'a ast::Action>,
    arch: Option<(Span, &'a [ast::Name])>,
    /// The admitted ABIs, the native one first.
    admitted: Vec<Arch>,
}

impl Resolver {
    fn error(&mut self, d: Diagnostic) {
        // The same mistake is found once per admitted ABI; report it once.
        if self
            .seen
            .insert((format!("{:?}", d.span), d.message.clone()))
        {
            self.diags.push(d);
        }
    }

    fn policy(&mut self, ast: &ast::Policy, native: Arch) -> Policy {
        let mut s = Settings::default();
        for st in &ast.statements {
            let (slot, span, what) = match st {
                Statement::Default(sp, _) => (&mut s.default, *sp, "default"),
                Statement::BadArch(sp, _) => (&mut s.bad_arch, *sp, "bad_arch"),
                Statement::Unknown(sp, _) => (&mut s.unknown, *sp, "unknown"),
                Statement::Arch(sp, list) => {
                    if s.arch.is_some() {
                        self.error(Diagnostic::error(
                            *sp,
                            "`arch` is given twice; list every ABI in one `arch:` statement",
                        ));
                    }
                    s.arch = Some((*sp, list));
                    continue;
                }
                Statement::AllowLints(_, names) => {
                    for n in names {
                        if !crate::lints::NAMES.contains(&n.name.as_str()) {
                            let mut d =
                                Diagnostic::error(n.span, format!("unknown lint `{}`", n.name));
                            d = match did_you_mean(&n.name, crate::lints::NAMES.iter().copied()) {
                                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                                None => d.with_help(format!(
                                    "the lints are {}",
                                    crate::lints::NAMES
                                        .iter()
                                        .map(|n| format!("`{n}`"))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )),
                            };
                            self.error(d);
                        }
                    }
                    continue;
                }
                Statement::Rule(_) => continue,
            };
            let action = match st {
                Statement::Default(_, a) | Statement::BadArch(_, a) | Statement::Unknown(_, a) => a,
                _ => unreachable!(),
            };
            if slot.is_some() {
                self.error(Diagnostic::error(span, format!("`{what}` is given twice")));
            }
            *slot = Some(action);
        }

        let mut arches = vec![native];
        if let Some((span, list)) = s.arch {
            let mut listed = Vec::new();
            for n in list {
                match Arch::from_name(&n.name) {
                    Some(a) if listed.contains(&a) => {
                        self.error(Diagnostic::error(
                            n.span,
                            format!("`{}` is listed twice", n.name),
                        ));
                    }
                    // No kernel runs tasks of both byte orders, and `seccomp_data`
                    // is in the task's order: the other order's argument words would
                    // be read swapped.
                    Some(a) => {
                        if let Some(&first) = listed.first().filter(|f| f.endian() != a.endian()) {
                            self.error(byte_orders_mixed(n.span, a, first));
                        }
                        listed.push(a);
                    }
                    None => {
                        let names = Arch::ALL.iter().map(|a| a.as_str());
                        let mut d = Diagnostic::error(n.span, format!("unknown ABI `{}`", n.name));
                        d = match did_you_mean(&n.name, names) {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None => d.with_help(format!(
                                "the ABIs are {}",
                                Arch::ALL
                                    .iter()
                                    .map(|a| format!("`{a}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )),
                        };
                        self.error(d);
                    }
                }
            }
            if !listed.is_empty() && !listed.contains(&native) {
                self.error(
                    Diagnostic::error(
                        span,
                        format!(
                            "this filter is compiled for `{native}`, which `arch:` does not list"
                        ),
                    )
                    .with_help(format!(
                        "add `{native}`: without it the program could not make a single syscall"
                    )),
                );
            }
            arches.extend(listed.into_iter().filter(|a| *a != native));
        }

        s.admitted.clone_from(&arches);
        crate::flags::check(ast, &arches)
            .into_iter()
            .for_each(|d| self.error(d));
        let bad_arch = s
            .bad_arch
            .map_or(Action::KillProcess, |a| self.action(a, native));
        let abis = arches.iter().map(|&arch| self.abi(ast, arch, &s)).collect();
        Policy {
            abis,
            bad_arch,
            symbols: std::mem::take(&mut self.symbols),
            params: std::mem::take(&mut self.params),
            span: ast.span,
        }
    }

    fn abi(&mut self, ast: &ast::Policy, arch: Arch, s: &Settings<'_>) -> AbiRules {
        let default = s
            .default
            .map_or(Action::KillProcess, |a| self.action(a, arch));
        let unknown = s.unknown.map_or(default, |a| self.action(a, arch));
        let mut explicit: BTreeMap<u32, SyscallRules> = BTreeMap::new();
        let mut from_groups: BTreeMap<u32, Vec<Rule>> = BTreeMap::new();
        // The syscalls that already have a rule without condition.
        let mut unconditional: BTreeSet<u32> = BTreeSet::new();

        for st in &ast.statements {
            let Statement::Rule(rule) = st else { continue };
            let action = rule
                .action
                .as_ref()
                .map_or(Action::Allow, |a| self.action(a, arch));
            match &rule.target {
                Target::Group(g) => {
                    if rule.predicate.is_some() {
                        self.error(
                            Diagnostic::error(g.span, format!("a group cannot have a condition: `@{}` names many syscalls with different parameters", g.name))
                                .with_help("write a rule for each syscall whose arguments you want to check"),
                        );
                        continue;
                    }
                    let Some(members) = groups::members(&g.name) else {
                        let mut d =
                            Diagnostic::error(g.span, format!("unknown group `@{}`", g.name));
                        d = match did_you_mean(&g.name, groups::names()) {
                            Some(s) => d.with_help(format!("did you mean `@{s}`?")),
                            None => d.with_help(format!(
                                "the groups are {}",
                                groups::names()
                                    .map(|n| format!("`@{n}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )),
                        };
                        self.error(d);
                        continue;
                    };
                    for m in members {
                        if let Some((nr, rule)) = self.group_member(m, arch, action, g.span) {
                            add_group_rule(from_groups.entry(nr).or_default(), rule);
                        }
                    }
                }
                Target::Number(nr, span) => {
                    match number_owner(*nr, &s.admitted) {
                        Ok(owner) if owner == arch => {}
                        Ok(_) => continue,
                        Err(help) => {
                            self.error(
                                Diagnostic::error(
                                    *span,
                                    format!(
                                        "syscall number {nr} ({nr:#x}) is not a number of {}",
                                        list_abis(&s.admitted)
                                    ),
                                )
                                .with_help(help),
                            );
                            continue;
                        }
                    }
                    let sc = arch.syscall_by_nr(*nr);
                    self.check_filtered(arch, *nr, rule.predicate.is_some(), action, *span);
                    let predicate = rule
                        .predicate
                        .as_ref()
                        .and_then(|p| self.predicate(p, arch, sc, sc.map_or("", |s| s.name)));
                    self.push_rule(
                        &mut explicit,
                        &mut unconditional,
                        *nr,
                        sc.map(|s| s.name),
                        rule.predicate.is_some(),
                        predicate,
                        action,
                        *span,
                    );
                }
                Target::Syscall { name, optional } => {
                    let Some(sc) = arch.syscall(&name.name) else {
                        if !optional {
                            let d = self.unknown_syscall(name, arch);
                            self.error(d);
                        } else if !Arch::ALL.iter().any(|a| a.syscall(&name.name).is_some()) {
                            // `name?` skips an ABI that lacks the syscall; a name no ABI
                            // has is a typo, and skipping it would drop the rule.
                            let d = self.unknown_optional_syscall(name);
                            self.error(d);
                        }
                        continue;
                    };
                    self.check_filtered(arch, sc.nr, rule.predicate.is_some(), action, name.span);
                    let predicate = rule
                        .predicate
                        .as_ref()
                        .and_then(|p| self.predicate(p, arch, Some(sc), sc.name));
                    self.push_rule(
                        &mut explicit,
                        &mut unconditional,
                        sc.nr,
                        Some(sc.name),
                        rule.predicate.is_some(),
                        predicate,
                        action,
                        name.span,
                    );
                }
            }
        }
        for (nr, rules) in from_groups {
            explicit.entry(nr).or_insert_with(|| SyscallRules {
                name: arch.syscall_by_nr(nr).map(|s| s.name),
                rules,
            });
        }
        let mut rules = AbiRules {
            arch,
            default,
            unknown,
            syscalls: explicit,
        };
        self.multiplexers(&mut rules, ast, arch == s.admitted[0]);
        rules
    }

    /// One member of a group on `arch`: its syscall's number and its rule, or `None`
    /// where the ABI lacks the syscall or, for a conditional member, the parameters
    /// its condition names. A member written as a rule keeps its own condition and, if
    /// it has one, its own action; the group's action is the default.
    fn group_member(
        &mut self,
        member: &str,
        arch: Arch,
        action: Action,
        span: Span,
    ) -> Option<(u32, Rule)> {
        let name = groups::member_syscall(member);
        let sc = arch.syscall(name)?;
        if name == member {
            return Some((
                sc.nr,
                Rule {
                    predicate: None,
                    action,
                    span,
                },
            ));
        }
        let rule = match crate::syntax::parse_str(&format!("{member};")).map(|p| p.statements) {
            Ok(statements) => match statements.into_iter().next() {
                Some(Statement::Rule(rule)) => rule,
                _ => {
                    self.error(Diagnostic::internal(
                        span,
                        format!("group member `{member}` is not a rule"),
                    ));
                    return None;
                }
            },
            Err(_) => {
                self.error(Diagnostic::internal(
                    span,
                    format!("group member `{member}` does not parse"),
                ));
                return None;
            }
        };
        if rule.predicate.is_some() && sc.params.is_none() {
            return None;
        }
        let before = self.diags.len();
        let predicate = rule
            .predicate
            .as_ref()
            .and_then(|p| self.predicate(p, arch, Some(sc), sc.name));
        if self.diags.len() != before {
            // The condition names a parameter this ABI's syscall does not have (x86's
            // `mmap` takes one pointer): the member is left out here, and the call
            // falls to the default. (Its errors point into the member's own text.)
            self.diags.truncate(before);
            return None;
        }
        let action = rule
            .action
            .as_ref()
            .map_or(action, |a| self.action(a, arch));
        Some((
            sc.nr,
            Rule {
                predicate,
                action,
                span,
            },
        ))
    }

    /// A rule on a syscall the kernel never filters would not do what it says.
    fn check_filtered(
        &mut self,
        arch: Arch,
        nr: u32,
        has_condition: bool,
        action: Action,
        span: Span,
    ) {
        if !arch.kernel_never_filters(nr) || (!has_condition && action == Action::Allow) {
            return;
        }
        let name = arch.syscall_by_nr(nr).map_or("", |s| s.name);
        self.error(
            Diagnostic::error(
                span,
                format!("the kernel never filters `{name}` on {arch}: it lets the call through whatever this rule says"),
            )
            .with_help("Linux passes `uretprobe` and `uprobe` (made by its own uprobe trampolines) before any seccomp filter runs (kernel/seccomp.c, `seccomp_uprobe_exception`); remove this rule"),
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn push_rule(
        &mut self,
        explicit: &mut BTreeMap<u32, SyscallRules>,
        unconditional: &mut BTreeSet<u32>,
        nr: u32,
        name: Option<&'static str>,
        has_condition: bool,
        predicate: Option<Predicate>,
        action: Action,
        span: Span,
    ) {
        // A rule after an unconditional rule for the same syscall can never match:
        // the earlier rule decides every call.
        if unconditional.contains(&nr) {
            let shown = name.map_or_else(|| format!("syscall {nr}"), |n| format!("`{n}`"));
            self.error(
                Diagnostic::error(span, format!("unreachable rule: an earlier rule for {shown} has no condition, so it matches every call"))
                    .with_help("rules are tried in order and the first match wins; move this rule before the unconditional one, or remove it"),
            );
            return;
        }
        if !has_condition {
            unconditional.insert(nr);
        }
        if has_condition && predicate.is_none() {
            return; // its errors are reported
        }
        explicit
            .entry(nr)
            .or_insert_with(|| SyscallRules {
                name,
                rules: Vec::new(),
            })
            .rules
            .push(Rule {
                predicate,
                action,
                span,
            });
    }

    /// `name?` where no ABI has `name`.
    fn unknown_optional_syscall(&self, name: &ast::Name) -> Diagnostic {
        let all: BTreeSet<&'static str> = Arch::ALL
            .iter()
            .flat_map(|a| a.table().syscalls.iter().map(|s| s.name))
            .collect();
        let mut message = format!("unknown syscall `{}`: no ABI has it", name.name);
        if let Some(s) = did_you_mean(&name.name, all.iter().copied()) {
            message.push_str(&format!("; did you mean `{s}`?"));
        }
        Diagnostic::error(name.span, message).with_help(format!(
            "`{}?` skips only the ABIs that lack a syscall; a name that exists on none would leave the rule out everywhere",
            name.name
        ))
    }

    fn unknown_syscall(&self, name: &ast::Name, arch: Arch) -> Diagnostic {
        let elsewhere: Vec<&str> = Arch::ALL
            .iter()
            .filter(|a| a.syscall(&name.name).is_some())
            .map(|a| a.as_str())
            .collect();
        if elsewhere.is_empty() {
            let d = Diagnostic::error(name.span, format!("unknown syscall `{}`", name.name));
            return match did_you_mean(&name.name, arch.table().syscalls.iter().map(|s| s.name)) {
                Some(s) => Diagnostic {
                    message: format!("unknown syscall `{}`; did you mean `{s}`?", name.name),
                    ..d
                },
                None => d,
            };
        }
        let mut help = format!("it exists on {}", list(&elsewhere, 6));
        help.push_str(&format!(
            "; write `{}?` to allow it only where it exists",
            name.name
        ));
        if let Some(alt) = modern_equivalent(&name.name).filter(|a| arch.syscall(a).is_some()) {
            help.push_str(&format!(", or use `{alt}`"));
        }
        Diagnostic::error(
            name.span,
            format!("syscall `{}` does not exist on {arch}", name.name),
        )
        .with_help(help)
    }

    fn action(&mut self, a: &ast::Action, arch: Arch) -> Action {
        match &a.kind {
            ActionKind::Allow => Action::Allow,
            ActionKind::KillProcess => Action::KillProcess,
            ActionKind::KillThread => Action::KillThread,
            ActionKind::Log => Action::Log,
            ActionKind::Notify => Action::Notify,
            ActionKind::Trap(d) => Action::Trap(*d),
            ActionKind::Trace(d) => Action::Trace(*d),
            ActionKind::Errno(ErrnoRef::Number(n, span)) => match u16::try_from(*n) {
                Ok(v) if v <= seccomp_bpf::ret::MAX_ERRNO => Action::Errno(v),
                _ => {
                    self.error(
                        Diagnostic::error(
                            *span,
                            format!("errno `{n}` is out of range: the kernel passes on 0 to 4095"),
                        )
                        .with_help("a larger value would be silently capped to 4095 by the kernel"),
                    );
                    Action::KillProcess
                }
            },
            ActionKind::Errno(ErrnoRef::Name(n)) => match arch.errno(&n.name) {
                Some(v) => Action::Errno(v),
                None => {
                    let mut d =
                        Diagnostic::error(n.span, format!("unknown errno `{}` on {arch}", n.name));
                    if let Some(s) = did_you_mean(&n.name, arch.errnos().iter().map(|e| e.name)) {
                        d.message.push_str(&format!("; did you mean `{s}`?"));
                    }
                    self.error(d);
                    Action::KillProcess
                }
            },
        }
    }

    fn predicate(
        &mut self,
        p: &ast::Predicate,
        arch: Arch,
        sc: Option<&'static Syscall>,
        name: &str,
    ) -> Option<Predicate> {
        Some(match p {
            ast::Predicate::Or(a, b) => {
                let (a, b) = (
                    self.predicate(a, arch, sc, name),
                    self.predicate(b, arch, sc, name),
                );
                Predicate::Or(Box::new(a?), Box::new(b?))
            }
            ast::Predicate::And(a, b) => {
                let (a, b) = (
                    self.predicate(a, arch, sc, name),
                    self.predicate(b, arch, sc, name),
                );
                Predicate::And(Box::new(a?), Box::new(b?))
            }
            ast::Predicate::Not(_, a) => {
                Predicate::Not(Box::new(self.predicate(a, arch, sc, name)?))
            }
            ast::Predicate::Compare {
                operand, op, value, ..
            } => {
                let (arg, view, mask, what) = self.operand(operand, arch, sc, name)?;
                let span = value.span();
                let value = self.value(value, view, &what)?;
                self.masked_outcome(view, mask, *op, value, span, &what)?;
                Predicate::Compare(Compare {
                    arg,
                    view,
                    mask,
                    op: *op,
                    value,
                })
            }
            ast::Predicate::In { operand, values } => {
                let (arg, view, mask, what) = self.operand(operand, arch, sc, name)?;
                let mut out: Option<Predicate> = None;
                let mut ok = true;
                for v in values {
                    let Some(value) = self.value(v, view, &what) else {
                        ok = false;
                        continue;
                    };
                    if self
                        .masked_outcome(view, mask, CmpOp::Eq, value, v.span(), &what)
                        .is_none()
                    {
                        ok = false;
                        continue;
                    }
                    let c = Predicate::Compare(Compare {
                        arg,
                        view,
                        mask,
                        op: CmpOp::Eq,
                        value,
                    });
                    out = Some(match out {
                        None => c,
                        Some(prev) => Predicate::Or(Box::new(prev), Box::new(c)),
                    });
                }
                if !ok {
                    return None;
                }
                out?
            }
        })
    }

    /// `None` (with an error) when a masked comparison's outcome is decided by the
    /// mask alone: `flags & 0xff00 == 1000` can never be true (1000 has bits the mask
    /// clears), `!=` with such a value is always true, and `x & 0xff > 0xff` never.
    /// libseccomp masks the value too (it compares `(x & m) == (v & m)`), so a policy
    /// ported from it would silently change meaning; the error proposes `v & m`.
    /// Values and masks known only to rustc or at install time are not checked here.
    fn masked_outcome(
        &mut self,
        view: View,
        mask: Option<Value>,
        op: CmpOp,
        value: Value,
        span: Span,
        what: &str,
    ) -> Option<()> {
        let (Some(Value::Imm(m)), Value::Imm(v)) = (mask, value) else {
            return Some(());
        };
        let seen = view.truncate(u64::MAX);
        let sign = 1u64 << (view.bits - 1);
        let (always, never, why, help) = match op {
            CmpOp::Eq | CmpOp::Ne => {
                let outside = v & !m & seen;
                if outside == 0 && m != 0 {
                    return Some(());
                }
                let eq_never = outside != 0;
                let why = if eq_never {
                    format!(
                        "{} ({v:#x}) has bits {outside:#x} outside the mask {m:#x}, which the masked argument never has",
                        view.interpret(v)
                    )
                } else {
                    "the mask is 0, so the masked argument is always 0".to_owned()
                };
                let help = if eq_never {
                    format!(
                        "did you mean `{:#x}` (the value masked: {v:#x} & {m:#x})? libseccomp masks the value too, so that is what a rule ported from it meant",
                        v & m
                    )
                } else {
                    "use a mask with the bits to compare".to_owned()
                };
                let eq = op == CmpOp::Eq;
                (eq != eq_never, eq == eq_never, why, help)
            }
            _ => {
                // The values the masked argument can take, as the comparison reads it.
                let (lo, hi) = if view.signed && m & sign != 0 {
                    (view.interpret(sign), view.interpret(m & !sign))
                } else {
                    (0, i128::from(m))
                };
                let x = view.interpret(v);
                let (always, never) = match op {
                    CmpOp::Lt => (x > hi, x <= lo),
                    CmpOp::Le => (x >= hi, x < lo),
                    CmpOp::Gt => (x < lo, x >= hi),
                    _ => (x <= lo, x > hi),
                };
                if !always && !never {
                    return Some(());
                }
                (
                    always,
                    never,
                    format!("masked with {m:#x}, the argument lies between {lo} and {hi}"),
                    "compare with a value inside that range, or drop the condition".to_owned(),
                )
            }
        };
        debug_assert!(always != never);
        let verdict = if never {
            "can never be true"
        } else {
            "is always true"
        };
        self.error(
            Diagnostic::error(span, format!("this comparison of {what} {verdict}: {why}"))
                .with_help(help),
        );
        None
    }

    /// The slot, view and mask of an operand, and how to name it in errors.
    fn operand(
        &mut self,
        o: &ast::Operand,
        arch: Arch,
        sc: Option<&'static Syscall>,
        name: &str,
    ) -> Option<(u8, View, Option<Value>, String)> {
        let t = arch.table();
        let raw = View {
            bits: t.reg_bits,
            signed: false,
        };
        let params = sc.and_then(|s| s.params);
        let shown = if name.is_empty() {
            "this syscall".to_owned()
        } else {
            format!("`{name}`")
        };
        // A kernel parameter name wins over a register name: `prctl` and `keyctl` call
        // their parameters `arg2`…`arg5`, and those are what their man pages say.
        let is_param = params.is_some_and(|ps| ps.iter().any(|p| p.name == o.arg.name));
        let register = o
            .arg
            .name
            .strip_prefix("arg")
            .and_then(|d| d.parse::<u8>().ok())
            .filter(|_| o.arg.name.len() == 4 && !is_param);
        let (index, view, what) = if let Some(n) = register {
            if n > 5 {
                self.error(Diagnostic::error(o.arg.span, format!("`{}` does not exist: syscalls have six argument registers, `arg0` to `arg5`", o.arg.name)));
                return None;
            }
            match params {
                Some(ps)
                    if usize::from(n) >= ps.len()
                        && ps.iter().all(|p| {
                            !matches!(p.class, ParamClass::Split64 | ParamClass::AfterSplit64)
                        }) =>
                {
                    self.error(Diagnostic::error(
                        o.arg.span,
                        format!(
                            "{shown} has {} parameter{} on {arch}; `{}` is not one of them",
                            ps.len(),
                            if ps.len() == 1 { "" } else { "s" },
                            o.arg.name
                        ),
                    ));
                    return None;
                }
                Some(ps) => match ps
                    .get(usize::from(n))
                    .and_then(|p| view_of(p.class, t.reg_bits))
                {
                    Some(v) => (
                        n,
                        v,
                        format!(
                            "`{}` (`{}`) of {shown}",
                            o.arg.name,
                            ps[usize::from(n)].name
                        ),
                    ),
                    None => (n, raw, format!("`{}` of {shown}", o.arg.name)),
                },
                None => (n, raw, format!("`{}` of {shown}", o.arg.name)),
            }
        } else {
            let Some(ps) = params else {
                self.error(
                    Diagnostic::error(
                        o.arg.span,
                        format!("the parameter names of {shown} on {arch} are not known"),
                    )
                    .with_help("name the argument registers `arg0` to `arg5` instead"),
                );
                return None;
            };
            // The kernel's name, or the man page's where it differs (`socket`'s
            // `domain` is the kernel's `family`): the same slot either way.
            let position = |n: &str| ps.iter().position(|p| p.name == n);
            let found = position(&o.arg.name)
                .or_else(|| crate::aliases::kernel_name(name, &o.arg.name).and_then(position));
            let Some(i) = found else {
                let names: Vec<String> = ps.iter().map(|p| format!("`{}`", p.name)).collect();
                let mut msg = format!("`{}` is not a parameter of {shown}", o.arg.name);
                if let Some(s) = did_you_mean(&o.arg.name, ps.iter().map(|p| p.name)) {
                    msg.push_str(&format!("; did you mean `{s}`?"));
                }
                let help = if names.is_empty() {
                    format!("{shown} takes no parameters")
                } else {
                    format!("expected one of {}", names.join(", "))
                };
                self.error(Diagnostic::error(o.arg.span, msg).with_help(help));
                return None;
            };
            let class = ps[i].class;
            let Some(view) = view_of(class, t.reg_bits) else {
                let msg = if class == ParamClass::Split64 {
                    format!(
                        "`{}` of {shown} is a 64-bit value that {arch} passes in two argument registers; it cannot be compared as one value",
                        o.arg.name
                    )
                } else {
                    format!(
                        "the register of `{}` of {shown} on {arch} depends on how the 64-bit parameter before it is split over two registers",
                        o.arg.name
                    )
                };
                self.error(Diagnostic::error(o.arg.span, msg).with_help("compare the registers themselves with `arg0` to `arg5`, following the ABI's calling convention"));
                return None;
            };
            #[allow(clippy::cast_possible_truncation)]
            (i as u8, view, format!("`{}` of {shown}", o.arg.name))
        };
        // `x & a & b` is `x & (a & b)`: fold the masks into one.
        let mut mask: Option<Value> = None;
        for m in &o.masks {
            let v = self.value(m, view, &format!("the mask of {what}"))?;
            mask = Some(match (mask, v) {
                (None, v) => v,
                (Some(Value::Imm(a)), Value::Imm(b)) => Value::Imm(a & b),
                (Some(Value::Param(_)), _) | (_, Value::Param(_)) => {
                    self.error(
                        Diagnostic::error(
                            m.span(),
                            "a runtime parameter cannot be combined with another mask",
                        )
                        .with_help("use one mask: `x & $mask`"),
                    );
                    return None;
                }
                (Some(a), b) => {
                    let expr = and_exprs(self.sym_expr(a), self.sym_expr(b));
                    self.symbol(expr, m.span(), view, format!("the mask of {what}"))
                }
            });
        }
        Some((index, view, mask, what))
    }

    fn sym_expr(&self, v: Value) -> TokenStream {
        match v {
            Value::Imm(i) => quote!((#i as i128)),
            Value::Sym(s) => self.symbols[s as usize].expr.clone(),
            Value::Param(_) => unreachable!("masks with parameters are not folded"),
        }
    }

    fn symbol(&mut self, expr: TokenStream, span: Span, view: View, what: String) -> Value {
        let (min, max) = range_of(view);
        #[allow(clippy::cast_possible_truncation)]
        let id = self.symbols.len() as u32;
        self.symbols.push(Symbol {
            expr,
            span,
            min,
            max,
            what,
        });
        Value::Sym(id)
    }

    /// A constant compared with (or masking) a parameter seen through `view`.
    fn value(&mut self, v: &ast::Value, view: View, what: &str) -> Option<Value> {
        if let ast::Value::Param(n) = v {
            // Every use narrows the values the parameter may be bound to.
            let (min, max) = range_of(view);
            let i = self.params.iter().position(|p| p.name == n.name)?;
            let p = &mut self.params[i];
            if p.min == i128::MIN && p.max == i128::MAX {
                p.span = n.span;
            }
            p.min = p.min.max(min);
            p.max = p.max.min(max);
            #[allow(clippy::cast_possible_truncation)]
            return Some(Value::Param(i as u32));
        }
        if contains_param(v) {
            self.error(
                Diagnostic::error(v.span(), "a runtime parameter cannot be combined with `|`")
                    .with_help("bind the combined value to one parameter instead"),
            );
            return None;
        }
        match eval_literal(v) {
            Some(Ok(n)) => {
                let (min, max) = range_of(view);
                if n < min || n > max {
                    let kind = describe(view);
                    self.error(
                        Diagnostic::error(v.span(), format!("`{n}` does not fit {what}, {kind}"))
                            .with_help(format!(
                                "values of this parameter range from {min} to {max}"
                            )),
                    );
                    return None;
                }
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Some(Value::Imm(view.truncate(n as u64)))
            }
            Some(Err(())) => None,
            None => {
                let expr = path_expr(v);
                Some(self.symbol(expr, v.span(), view, what.to_owned()))
            }
        }
    }

    /// The multiplexers `socketcall` and `ipc` make the direct socket and IPC calls'
    /// operations with the real arguments behind a pointer the filter cannot read.
    ///
    /// - A direct call with one rule and no condition gets that rule's action
    ///   through the multiplexer too: `socket => errno(EPERM)` adds
    ///   `socketcall: call == 1 => errno(EPERM)` before the multiplexer's own rules
    ///   (libseccomp does the same) — unless the multiplexer's own rules already
    ///   decide that call, in which case they stay as written, and it is an error
    ///   when they let through what the direct rule denies.
    /// - A direct call whose rules check arguments cannot be translated: it is an
    ///   error unless the multiplexer's rules deny that call, whatever its other
    ///   arguments.
    fn multiplexers(&mut self, rules: &mut AbiRules, ast: &ast::Policy, native: bool) {
        let arch = rules.arch;
        // How a rule on the multiplexer is written: optional where the target lacks it.
        let q = if native { "" } else { "?" };
        for mux in [&SOCKETCALL, &IPC] {
            let Some(mux_sc) = arch.syscall(mux.name) else {
                continue;
            };
            // `ksys_ipc` (ipc/syscall.c) selects the operation by the low 16 bits of
            // `call` and takes the rest as a version; s390's `sys_s390_ipc`
            // (arch/s390/kernel/syscall.c) refuses any version but 0 with EINVAL.
            let versioned = mux.name == "ipc" && !matches!(arch, Arch::S390 | Arch::S390x);
            let Some(view) = mux_sc
                .params
                .and_then(|ps| ps.first())
                .and_then(|p| view_of(p.class, arch.table().reg_bits))
            else {
                continue;
            };
            let calls_of = |call: u32| -> Vec<u64> {
                if versioned {
                    (0..=0xffffu64).map(|v| v << 16 | u64::from(call)).collect()
                } else {
                    vec![u64::from(call)]
                }
            };
            let this_call = |call: u32| {
                Predicate::Compare(Compare {
                    arg: 0,
                    view,
                    mask: versioned.then_some(Value::Imm(0xffff)),
                    op: CmpOp::Eq,
                    value: Value::Imm(u64::from(call)),
                })
            };

            // The unconditional rules of direct calls, and the `name?` rules of the
            // operations this ABI makes only through the multiplexer (x86 has no
            // `accept`, `send`, `recv`, `semop`: socketcall and ipc make them).
            let mut carried: Vec<(&SubCall, Action, Span)> = Vec::new();
            for sub in mux.calls.iter().filter(|s| s.exact) {
                if let Some(direct) = arch.syscall(sub.direct) {
                    if let Some(
                        [
                            Rule {
                                predicate: None,
                                action,
                                span,
                            },
                        ],
                    ) = rules.syscalls.get(&direct.nr).map(|r| &r.rules[..])
                    {
                        carried.push((sub, *action, *span));
                    }
                    continue;
                }
                let first = ast.statements.iter().find_map(|st| match st {
                    Statement::Rule(r) => match &r.target {
                        Target::Syscall {
                            name,
                            optional: true,
                        } if name.name == sub.direct => Some((r, name.span)),
                        _ => None,
                    },
                    _ => None,
                });
                let Some((r, span)) = first else { continue };
                let action = r
                    .action
                    .as_ref()
                    .map_or(Action::Allow, |a| self.action(a, arch));
                if r.predicate.is_none() {
                    carried.push((sub, action, span));
                    continue;
                }
                let through = outcome(
                    rules.syscalls.get(&mux_sc.nr),
                    &calls_of(sub.nr),
                    Some(rules.default),
                );
                if let Some(a) = through.actions.iter().find(|a| passes(**a)) {
                    self.error(
                        Diagnostic::error(span, format!("checking the arguments of `{}` leaves a bypass on {arch}: there it exists only as a call of `{}` (call {}, `{}`), whose arguments are behind a pointer the filter cannot read, and this policy lets that call through ({a})", sub.direct, mux.name, sub.nr, sub.call))
                            .with_help(format!("deny that call of the multiplexer on {arch}, e.g. `{m}{q}: call == {n} => errno(ENOSYS);`, or do not check the arguments of `{d}`", m = mux.name, n = sub.nr, d = sub.direct)),
                    );
                }
            }

            // Onto the multiplexer.
            let mut added = Vec::new();
            for (sub, action, span) in carried {
                let own = outcome(rules.syscalls.get(&mux_sc.nr), &calls_of(sub.nr), None);
                if own.actions.is_empty() {
                    added.push(Rule {
                        predicate: Some(this_call(sub.nr)),
                        action,
                        span,
                    });
                    continue;
                }
                let mut decided = own.actions.clone();
                if own.falls_through {
                    decided.push(rules.default);
                }
                if !passes(action)
                    && let Some(a) = decided.iter().find(|a| passes(**a))
                {
                    self.error(
                            Diagnostic::error(span, format!("`{}` is denied here, but on {arch} `{}` makes the same call (call {}, `{}`) and its rules let that through ({a})", sub.direct, mux.name, sub.nr, sub.call))
                                .with_help(format!("put `{m}{q}: call == {} => {};` before the other rules of `{m}`, or deny `{m}` altogether", sub.nr, action_text(action, arch), m = mux.name)),
                        );
                }
            }
            if !added.is_empty() {
                let entry = rules
                    .syscalls
                    .entry(mux_sc.nr)
                    .or_insert_with(|| SyscallRules {
                        name: Some(mux_sc.name),
                        rules: Vec::new(),
                    });
                added.append(&mut entry.rules);
                entry.rules = added;
            }

            // Argument checks on direct calls: only if the multiplexer denies the call.
            for sub in mux.calls {
                let Some(direct) = arch.syscall(sub.direct) else {
                    continue;
                };
                let Some(checked) = rules
                    .syscalls
                    .get(&direct.nr)
                    .and_then(|r| r.rules.iter().find(|r| r.predicate.is_some()))
                else {
                    continue;
                };
                let span = checked.span;
                let through = outcome(
                    rules.syscalls.get(&mux_sc.nr),
                    &calls_of(sub.nr),
                    Some(rules.default),
                );
                if let Some(a) = through.actions.iter().find(|a| passes(**a)) {
                    self.error(
                        Diagnostic::error(span, format!("checking the arguments of `{}` leaves a bypass on {arch}: `{}` makes the same call (call {}, `{}`) with its arguments behind a pointer the filter cannot read, and this policy lets it through ({a})", sub.direct, mux.name, sub.nr, sub.call))
                            .with_help(format!("deny that call of the multiplexer, e.g. `{m}{q}: call == {n} => errno(ENOSYS);`, or the multiplexer itself, `{m}{q} => errno(ENOSYS);` (libc then uses the direct syscall); or do not check the arguments of `{d}`", m = mux.name, n = sub.nr, d = sub.direct)),
                    );
                }
            }
        }
    }
}

/// Whether an action lets a call happen (a tracer or a supervisor may).
fn passes(a: Action) -> bool {
    matches!(
        a,
        Action::Allow | Action::Log | Action::Trace(_) | Action::Notify
    )
}

/// An action as a policy writes it, errno by name.
pub(crate) fn action_text(a: Action, arch: Arch) -> String {
    match a {
        Action::Errno(n) => match arch.errnos().iter().find(|e| e.value == n) {
            Some(e) => format!("errno({})", e.name),
            None => a.to_string(),
        },
        Action::KillProcess => "kill".into(),
        _ => a.to_string(),
    }
}

/// What rules can decide for a call whose `args[0]` is one of `arg0s` (all of them
/// making the same operation) and whose other arguments are anything.
struct Outcome {
    /// The actions of the rules that may match, in order, and then the fallback's.
    actions: Vec<Action>,
    /// Whether no rule may match (with `fallback`, it is in `actions`).
    falls_through: bool,
}

fn outcome(rules: Option<&SyscallRules>, arg0s: &[u64], fallback: Option<Action>) -> Outcome {
    let mut actions = Vec::new();
    for r in rules.map_or(&[][..], |r| &r.rules[..]) {
        let t = r.predicate.as_ref().map_or(Tri::True, |p| tri(p, arg0s));
        if t != Tri::False {
            actions.push(r.action);
        }
        if t == Tri::True {
            return Outcome {
                actions,
                falls_through: false,
            };
        }
    }
    actions.extend(fallback);
    Outcome {
        actions,
        falls_through: true,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tri {
    True,
    False,
    Unknown,
}

/// Whether `p` holds for every (`True`), no (`False`) or some call whose `args[0]` is
/// one of `arg0s`, its other arguments being anything.
fn tri(p: &Predicate, arg0s: &[u64]) -> Tri {
    match p {
        Predicate::Or(a, b) => match (tri(a, arg0s), tri(b, arg0s)) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::False, Tri::False) => Tri::False,
            _ => Tri::Unknown,
        },
        Predicate::And(a, b) => match (tri(a, arg0s), tri(b, arg0s)) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, Tri::True) => Tri::True,
            _ => Tri::Unknown,
        },
        Predicate::Not(a) => match tri(a, arg0s) {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        },
        Predicate::Compare(c) => {
            // Another argument, the high word, or a value only rustc or the installer
            // knows: anything.
            let known = |v: Option<Value>| matches!(v, None | Some(Value::Imm(_)));
            if c.arg != 0 || c.view.bits > 32 || !known(c.mask) || !known(Some(c.value)) {
                return Tri::Unknown;
            }
            let hits = arg0s
                .iter()
                .filter(|&&v| crate::interp::compare_register(c, v))
                .count();
            if hits == arg0s.len() {
                Tri::True
            } else if hits == 0 {
                Tri::False
            } else {
                Tri::Unknown
            }
        }
    }
}

/// A multiplexer and the direct syscalls whose operations it makes.
struct Multiplexer {
    name: &'static str,
    calls: &'static [SubCall],
}

/// One operation of a multiplexer.
struct SubCall {
    /// The direct syscall.
    direct: &'static str,
    /// The value of `args[0]` that selects the operation.
    nr: u32,
    /// Its name in the kernel's headers.
    call: &'static str,
    /// Whether the direct syscall is exactly the multiplexed call (its rules are
    /// translated onto the multiplexer), or a variant making the same operation
    /// with other argument types (the 64-bit time syscalls of 32-bit ABIs).
    exact: bool,
}

macro_rules! sub {
    ($direct:literal, $nr:literal, $call:literal) => {
        SubCall {
            direct: $direct,
            nr: $nr,
            call: $call,
            exact: true,
        }
    };
    ($direct:literal, $nr:literal, $call:literal, variant) => {
        SubCall {
            direct: $direct,
            nr: $nr,
            call: $call,
            exact: false,
        }
    };
}

/// `SYS_*` of include/uapi/linux/net.h, dispatched by `__sys_socketcall`
/// (net/socket.c) and `compat_sys_socketcall` (net/compat.c), Linux v7.2.13.
const SOCKETCALL: Multiplexer = Multiplexer {
    name: "socketcall",
    calls: &[
        sub!("socket", 1, "SYS_SOCKET"),
        sub!("bind", 2, "SYS_BIND"),
        sub!("connect", 3, "SYS_CONNECT"),
        sub!("listen", 4, "SYS_LISTEN"),
        sub!("accept", 5, "SYS_ACCEPT"),
        sub!("getsockname", 6, "SYS_GETSOCKNAME"),
        sub!("getpeername", 7, "SYS_GETPEERNAME"),
        sub!("socketpair", 8, "SYS_SOCKETPAIR"),
        sub!("send", 9, "SYS_SEND"),
        sub!("recv", 10, "SYS_RECV"),
        sub!("sendto", 11, "SYS_SENDTO"),
        sub!("recvfrom", 12, "SYS_RECVFROM"),
        sub!("shutdown", 13, "SYS_SHUTDOWN"),
        sub!("setsockopt", 14, "SYS_SETSOCKOPT"),
        sub!("getsockopt", 15, "SYS_GETSOCKOPT"),
        sub!("sendmsg", 16, "SYS_SENDMSG"),
        sub!("recvmsg", 17, "SYS_RECVMSG"),
        sub!("accept4", 18, "SYS_ACCEPT4"),
        sub!("recvmmsg", 19, "SYS_RECVMMSG"),
        // SYS_RECVMMSG reaches `__sys_recvmmsg`, as the time64 syscall does, with
        // the ABI's own `timespec` (net/socket.c, `__sys_socketcall` and
        // `sys_recvmmsg_time64`).
        sub!("recvmmsg_time64", 19, "SYS_RECVMMSG", variant),
        sub!("sendmmsg", 20, "SYS_SENDMMSG"),
    ],
};

/// `SEM*`/`MSG*`/`SHM*` of include/uapi/linux/ipc.h, dispatched by `ksys_ipc` and
/// `compat_ksys_ipc` (ipc/syscall.c), Linux v7.2.13.
const IPC: Multiplexer = Multiplexer {
    name: "ipc",
    calls: &[
        sub!("semop", 1, "SEMOP"),
        sub!("semget", 2, "SEMGET"),
        sub!("semctl", 3, "SEMCTL"),
        sub!("semtimedop", 4, "SEMTIMEDOP"),
        // SEMTIMEDOP reaches `ksys_semtimedop`/`compat_ksys_semtimedop`, as the
        // time64 syscall does (ipc/syscall.c, `ksys_ipc`; ipc/sem.c,
        // `sys_semtimedop_time64`).
        sub!("semtimedop_time64", 4, "SEMTIMEDOP", variant),
        sub!("msgsnd", 11, "MSGSND"),
        sub!("msgrcv", 12, "MSGRCV"),
        sub!("msgget", 13, "MSGGET"),
        sub!("msgctl", 14, "MSGCTL"),
        sub!("shmat", 21, "SHMAT"),
        sub!("shmdt", 22, "SHMDT"),
        sub!("shmget", 23, "SHMGET"),
        sub!("shmctl", 24, "SHMCTL"),
    ],
};

/// The numbers an ABI marks as its own with an offset, which no other ABI's
/// syscalls use: x32's have `__X32_SYSCALL_BIT` (arch/x86/include/asm/unistd.h; from
/// 0x4000_0000 up, as the program splits them, see `lower::owns`: the negative
/// numbers past the ABI's own range, which no ABI has, go with x32 except −1), mips's
/// start at `__NR_O32_Linux` 4000, `__NR_64_Linux` 5000 and `__NR_N32_Linux` 6000 and
/// span 1000 numbers each (arch/mips/include/uapi/asm/unistd.h) — the ranges of the
/// generated ABI descriptions ([`Arch::info`]).
fn marked_numbers(a: Arch) -> Option<core::ops::Range<u32>> {
    let info = a.info();
    match a {
        Arch::X32 => Some(info.nr_first..u32::MAX),
        Arch::Mips
        | Arch::Mipsel
        | Arch::Mips64
        | Arch::Mipsel64
        | Arch::Mips64n32
        | Arch::Mipsel64n32 => Some(info.nr_first..info.nr_last + 1),
        _ => None,
    }
}

/// Whether a raw number in a rule can be one of `a`'s: in its marked range if it has
/// one; for x86_64, below the x32 bit (or −1, which the program treats as an x86_64
/// number unknown to the table); for every other ABI, any number.
fn holds_number(a: Arch, nr: u32) -> bool {
    match (a, marked_numbers(a)) {
        (_, Some(r)) => r.contains(&nr),
        (Arch::X86_64, None) => nr < X32_SYSCALL_BIT || nr == u32::MAX,
        _ => true,
    }
}

/// The admitted ABI a raw number in a rule belongs to: the one whose marked range
/// holds it (x32's, a mips ABI's), else the native one if it can hold it. `Err` with
/// the help text when it belongs to none: such a rule would be left out of the
/// program, never matched.
fn number_owner(nr: u32, admitted: &[Arch]) -> Result<Arch, String> {
    if let Some(&a) = admitted
        .iter()
        .find(|&&a| marked_numbers(a).is_some_and(|r| r.contains(&nr)))
    {
        return Ok(a);
    }
    let native = admitted[0];
    if holds_number(native, nr) {
        return Ok(native);
    }
    let owners: Vec<String> = Arch::ALL
        .iter()
        .filter(|&&a| marked_numbers(a).is_some_and(|r| r.contains(&nr)))
        .map(|&a| match a.syscall_by_nr(nr) {
            Some(sc) => format!("`{a}` (`{}` there)", sc.name),
            None => format!("`{a}`"),
        })
        .collect();
    let range = match marked_numbers(native) {
        Some(r) => format!("{:#x} to {:#x}", r.start, r.end - 1),
        None => format!("0 to {:#x}", X32_SYSCALL_BIT - 1),
    };
    Err(if owners.is_empty() {
        format!("the numbers of `{native}` run from {range}")
    } else {
        format!(
            "it is a number of {}: admit that ABI with `arch:` (the numbers of `{native}` run from {range})",
            owners.join(" and ")
        )
    })
}

fn list_abis(arches: &[Arch]) -> String {
    let names: Vec<String> = arches.iter().map(|a| format!("`{a}`")).collect();
    match names.len() {
        1 => names[0].clone(),
        n => format!("{} or {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

/// `arch:` lists `a` after `first`, whose byte order differs.
fn byte_orders_mixed(span: Span, a: Arch, first: Arch) -> Diagnostic {
    let same: Vec<String> = Arch::ALL
        .iter()
        .filter(|b| b.endian() == first.endian())
        .map(|b| format!("`{b}`"))
        .collect();
    Diagnostic::error(
        span,
        format!(
            "`{a}` is {} but `{first}` is {}: no kernel runs tasks of both byte orders, so one filter cannot admit both",
            byte_order(a),
            byte_order(first)
        ),
    )
    .with_help(format!(
        "the arguments of `{a}` would be read with their 32-bit halves swapped; compile one filter per byte order (the {} ABIs are {})",
        byte_order(first),
        same.join(", ")
    ))
}

fn byte_order(a: Arch) -> &'static str {
    if a.is_big_endian() {
        "big-endian"
    } else {
        "little-endian"
    }
}

/// How a comparison sees a parameter of this class; `None` when it cannot be named.
fn view_of(class: ParamClass, reg_bits: u8) -> Option<View> {
    Some(match class {
        ParamClass::Int32 => View {
            bits: 32,
            signed: true,
        },
        ParamClass::Uint32 => View {
            bits: 32,
            signed: false,
        },
        ParamClass::Uint16 => View {
            bits: 16,
            signed: false,
        },
        ParamClass::Long => View {
            bits: reg_bits,
            signed: true,
        },
        ParamClass::Ulong | ParamClass::Pointer => View {
            bits: reg_bits,
            signed: false,
        },
        ParamClass::Int64 => View {
            bits: 64,
            signed: true,
        },
        ParamClass::Uint64 => View {
            bits: 64,
            signed: false,
        },
        ParamClass::Split64 | ParamClass::AfterSplit64 => return None,
    })
}

/// The literals a parameter seen through `view` accepts: exactly its type's range.
fn range_of(view: View) -> (i128, i128) {
    let b = u32::from(view.bits);
    if view.signed {
        (-(1i128 << (b - 1)), (1i128 << (b - 1)) - 1)
    } else {
        (0, (1i128 << b) - 1)
    }
}

fn describe(view: View) -> String {
    format!(
        "a{} {} {}-bit parameter",
        if view.signed { "" } else { "n" },
        if view.signed { "signed" } else { "unsigned" },
        view.bits
    )
}

/// Evaluates a value made only of literals; `None` if it names a Rust constant.
fn contains_param(v: &ast::Value) -> bool {
    match v {
        ast::Value::Param(_) => true,
        ast::Value::Or(parts, _) => parts.iter().any(contains_param),
        _ => false,
    }
}

fn eval_literal(v: &ast::Value) -> Option<Result<i128, ()>> {
    match v {
        ast::Value::Int(n, _) => Some(Ok(*n)),
        ast::Value::Path(..) | ast::Value::Param(_) => None,
        ast::Value::Or(parts, _) => {
            let mut acc: i128 = 0;
            for p in parts {
                match eval_literal(p)? {
                    Ok(n) => acc |= n,
                    Err(()) => return Some(Err(())),
                }
            }
            Some(Ok(acc))
        }
    }
}

/// The `i128` expression rustc evaluates for a value that names a constant.
fn path_expr(v: &ast::Value) -> TokenStream {
    match v {
        ast::Value::Int(n, _) => quote!((#n)),
        ast::Value::Path(p, span) => quote::quote_spanned!(*span=> ((#p) as i128)),
        ast::Value::Param(_) => unreachable!("parameters are resolved before paths"),
        ast::Value::Or(parts, _) => {
            let parts = parts.iter().map(path_expr);
            quote!((#(#parts)|*))
        }
    }
}

fn and_exprs(a: TokenStream, b: TokenStream) -> TokenStream {
    quote!((#a & #b))
}

fn list(items: &[&str], max: usize) -> String {
    let shown: Vec<String> = items.iter().take(max).map(|s| format!("`{s}`")).collect();
    if items.len() > max {
        format!("{} and {} more", shown.join(", "), items.len() - max)
    } else {
        shown.join(", ")
    }
}

/// The call that replaced an old one on the newer ABIs, for the help text.
fn modern_equivalent(name: &str) -> Option<&'static str> {
    Some(match name {
        "open" => "openat",
        "stat" | "lstat" => "newfstatat",
        "access" => "faccessat",
        "mkdir" => "mkdirat",
        "unlink" | "rmdir" => "unlinkat",
        "rename" => "renameat2",
        "poll" => "ppoll",
        "select" => "pselect6",
        "pipe" => "pipe2",
        "dup2" => "dup3",
        "fork" | "vfork" => "clone",
        "readlink" => "readlinkat",
        "symlink" => "symlinkat",
        "link" => "linkat",
        "chmod" => "fchmodat",
        "chown" => "fchownat",
        "epoll_wait" => "epoll_pwait",
        "epoll_create" => "epoll_create1",
        "getdents" => "getdents64",
        _ => return None,
    })
}

/// Adds a group's rule for one syscall to those earlier groups gave it. Rules with
/// the same action are a union (an unconditional one covers every conditional one);
/// a rule with another action replaces them: the last group that names a syscall
/// decides what happens to it.
fn add_group_rule(rules: &mut Vec<Rule>, rule: Rule) {
    if rules.iter().any(|r| r.action != rule.action) {
        rules.clear();
    }
    if rule.predicate.is_none() {
        rules.clear();
        rules.push(rule);
    } else if !rules.iter().any(|r| r.predicate.is_none()) {
        rules.push(rule);
    }
}

#[cfg(test)]
mod number_tests {
    use super::{Arch, holds_number};

    /// On every number an ABI can have (the kernel's `int` nr, 0 to 0x7fff_ffff),
    /// whether a raw number can be an ABI's is what the generated ABI description
    /// says it owns; checked at every edge of every ABI's range.
    #[test]
    fn raw_numbers_are_held_as_the_abi_descriptions_say() {
        let edges: Vec<u32> = Arch::ALL
            .iter()
            .flat_map(|a| {
                let i = a.info();
                [
                    i.nr_first.saturating_sub(1),
                    i.nr_first,
                    i.nr_last,
                    i.nr_last + 1,
                ]
            })
            .filter(|&n| n <= 0x7fff_ffff)
            .collect();
        for &a in Arch::ALL {
            for &n in &edges {
                assert_eq!(holds_number(a, n), a.info().owns(n), "{a} {n:#x}");
            }
        }
        assert_eq!(Arch::X32.info().nr_first, crate::arch::X32_SYSCALL_BIT);
    }
}
