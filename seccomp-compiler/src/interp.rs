//! The meaning of a policy, evaluated directly on a `seccomp_data` without BPF.
//!
//! This is the reference the compiled program is tested against: it follows the
//! language's definition, not the code generator.

use seccomp_bpf::SeccompData;
use seccomp_bpf::ret::Action;

use crate::lower::serving;
use crate::resolved::{CmpOp, Compare, Policy, Predicate, Value};

/// What the policy decides for `data`; `None` if it refers to Rust constants.
#[must_use]
pub fn evaluate(policy: &Policy, data: &SeccompData) -> Option<Action> {
    if !policy.symbols.is_empty() || !policy.params.is_empty() {
        return None;
    }
    #[allow(clippy::cast_sign_loss)]
    let nr = data.nr as u32;
    let admitted: Vec<_> = policy.abis.iter().map(|a| a.arch).collect();
    let Some(abi) = serving(&admitted, data.arch, nr)
        .and_then(|arch| policy.abis.iter().find(|a| a.arch == arch))
    else {
        return Some(policy.bad_arch);
    };
    let Some(rules) = abi.syscalls.get(&nr) else {
        return Some(if abi.arch.syscall_by_nr(nr).is_some() {
            abi.default
        } else {
            abi.unknown
        });
    };
    for rule in &rules.rules {
        if rule.predicate.as_ref().is_none_or(|p| holds(p, data)) {
            return Some(rule.action);
        }
    }
    Some(abi.default)
}

fn holds(p: &Predicate, d: &SeccompData) -> bool {
    match p {
        Predicate::Or(a, b) => holds(a, d) || holds(b, d),
        Predicate::And(a, b) => holds(a, d) && holds(b, d),
        Predicate::Not(a) => !holds(a, d),
        Predicate::Compare(c) => compare(c, d),
    }
}

fn imm(v: Value) -> u64 {
    match v {
        Value::Imm(n) => n,
        Value::Sym(_) | Value::Param(_) => {
            unreachable!("evaluate() refuses policies with symbols or parameters")
        }
    }
}

fn compare(c: &Compare, d: &SeccompData) -> bool {
    compare_register(c, d.args[usize::from(c.arg)])
}

/// Whether the comparison holds when its argument register holds `register`.
/// Immediate operands only.
pub(crate) fn compare_register(c: &Compare, register: u64) -> bool {
    // What the kernel reads: the parameter's low bits, masked, in its signedness.
    let mut raw = c.view.truncate(register);
    if let Some(m) = c.mask {
        raw &= imm(m);
    }
    let x = c.view.interpret(raw);
    let k = c.view.interpret(imm(c.value));
    match c.op {
        CmpOp::Eq => x == k,
        CmpOp::Ne => x != k,
        CmpOp::Lt => x < k,
        CmpOp::Le => x <= k,
        CmpOp::Gt => x > k,
        CmpOp::Ge => x >= k,
    }
}
