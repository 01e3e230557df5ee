//! `resolved::Policy` → `ir::Program`.

use std::collections::{BTreeSet, HashMap};

use crate::Arch;
use crate::arch::X32_SYSCALL_BIT;
use crate::ir::{Builder, Cond, Dispatch, Half, NodeId, Operand, Program, Word};
use crate::resolved::{AbiRules, CmpOp, Compare, Policy, Predicate, Value, View};

const SIGN: u32 = 0x8000_0000;

/// Lowers a resolved policy to the decision IR.
#[must_use]
pub fn lower(policy: &Policy) -> Program {
    let mut b = Builder::new();
    let bad_arch = b.ret(policy.bad_arch);
    let mut audit_values: Vec<u32> = Vec::new();
    for abi in &policy.abis {
        let v = abi.arch.audit_arch();
        if !audit_values.contains(&v) {
            audit_values.push(v);
        }
    }
    let arches = audit_values
        .into_iter()
        .map(|audit_arch| {
            let group: Vec<&AbiRules> = policy
                .abis
                .iter()
                .filter(|a| a.arch.audit_arch() == audit_arch)
                .collect();
            Dispatch {
                audit_arch,
                ranges: dispatch(&mut b, &group, bad_arch),
            }
        })
        .collect();
    b.finish(arches, bad_arch)
}

/// Whether `nr`, reported with the ABI's `AUDIT_ARCH` value, belongs to the ABI.
///
/// x86_64 and x32 share `AUDIT_ARCH_X86_64`. Every x86_64 number is below
/// `__X32_SYSCALL_BIT` (0x4000_0000) and every x32 number has that bit, so every
/// number from 0x4000_0000 up is treated as x32's — never as an x86_64 number —
/// except −1, which the kernel gives no ABI (it answers `ENOSYS`, or honours a
/// tracer's skip) and which is treated as a number unknown to x86_64. This is also
/// how libseccomp splits the two.
pub(crate) fn owns(arch: Arch, nr: u32) -> bool {
    let x32_bit = nr >= X32_SYSCALL_BIT && nr != u32::MAX;
    match arch {
        Arch::X86_64 => !x32_bit,
        Arch::X32 => x32_bit,
        _ => true,
    }
}

fn dispatch(b: &mut Builder, group: &[&AbiRules], bad_arch: NodeId) -> Vec<(u32, NodeId)> {
    let mut bounds: BTreeSet<u32> = [0, X32_SYSCALL_BIT, u32::MAX].into_iter().collect();
    for abi in group {
        let numbers = abi
            .arch
            .table()
            .syscalls
            .iter()
            .map(|s| s.nr)
            .chain(abi.syscalls.keys().copied());
        for n in numbers {
            bounds.insert(n);
            if let Some(next) = n.checked_add(1) {
                bounds.insert(next);
            }
        }
    }
    let mut syscall_nodes: HashMap<(Arch, u32), NodeId> = HashMap::new();
    let mut ranges: Vec<(u32, NodeId)> = Vec::new();
    for start in bounds {
        let node = match group.iter().find(|abi| owns(abi.arch, start)) {
            None => bad_arch,
            Some(abi) => match abi.syscalls.get(&start) {
                Some(rules) => *syscall_nodes.entry((abi.arch, start)).or_insert_with(|| {
                    let mut next = b.ret(abi.default);
                    for rule in rules.rules.iter().rev() {
                        let hit = b.ret(rule.action);
                        next = match &rule.predicate {
                            None => hit,
                            Some(p) => predicate(b, p, hit, next),
                        };
                    }
                    next
                }),
                None if abi.arch.syscall_by_nr(start).is_some() => b.ret(abi.default),
                None => b.ret(abi.unknown),
            },
        };
        if ranges.last().is_none_or(|&(_, n)| n != node) {
            ranges.push((start, node));
        }
    }
    ranges
}

/// Lowers a predicate that leads to `t` when it holds and to `f` when not.
fn predicate(b: &mut Builder, p: &Predicate, t: NodeId, f: NodeId) -> NodeId {
    match p {
        Predicate::Or(x, y) => {
            let rest = predicate(b, y, t, f);
            predicate(b, x, t, rest)
        }
        Predicate::And(x, y) => {
            let rest = predicate(b, y, t, f);
            predicate(b, x, rest, f)
        }
        Predicate::Not(x) => predicate(b, x, f, t),
        Predicate::Compare(c) => compare(b, c, t, f),
    }
}

/// One half of a constant operand, as the accumulator will see it.
fn half_of(v: Value, half: Half, view: View, xor: u32) -> Operand {
    let and = if view.bits == 16 { 0xffff } else { u32::MAX };
    match v {
        #[allow(clippy::cast_possible_truncation)]
        Value::Imm(n) => {
            Operand::Imm(((if half == Half::Hi { n >> 32 } else { n }) as u32 & and) ^ xor)
        }
        Value::Param(param) => Operand::Param {
            param,
            half,
            and,
            xor,
        },
        Value::Sym(sym) => Operand::Sym {
            sym,
            half,
            and,
            xor,
        },
    }
}

/// Lowers one comparison into word tests.
fn compare(b: &mut Builder, c: &Compare, t: NodeId, f: NodeId) -> NodeId {
    let wide = c.view.bits == 64;
    // Equality needs no sign flip; ordering of a signed view flips the sign bit of its
    // top word on both sides, which maps signed order onto unsigned order.
    let ordered = !matches!(c.op, CmpOp::Eq | CmpOp::Ne);
    let flip = ordered && c.view.signed;
    let sign = if flip { SIGN } else { 0 };
    let mask = |half: Half| -> Option<Operand> {
        match (c.mask, c.view.bits) {
            (None, 16) => Some(Operand::Imm(0xffff)),
            (None, _) => None,
            (Some(m), _) => Some(half_of(m, half, c.view, 0)),
        }
    };
    let word = |half: Half, flip: bool| Word {
        arg: c.arg,
        half,
        mask: mask(half),
        flip,
    };

    // `(x & m) == 0` and `!= 0` are a `jset` on the plain load.
    if let (Some(Value::Imm(m)), Value::Imm(0), CmpOp::Eq | CmpOp::Ne) = (c.mask, c.value, c.op) {
        let (zero, nonzero) = if c.op == CmpOp::Eq { (t, f) } else { (f, t) };
        let plain = |half| Word {
            arg: c.arg,
            half,
            mask: None,
            flip: false,
        };
        let m = if c.view.bits == 16 { m & 0xffff } else { m };
        #[allow(clippy::cast_possible_truncation)]
        let lo = b.test(
            plain(Half::Lo),
            Cond::Set,
            Operand::Imm(m as u32),
            nonzero,
            zero,
        );
        if !wide {
            return lo;
        }
        #[allow(clippy::cast_possible_truncation)]
        return b.test(
            plain(Half::Hi),
            Cond::Set,
            Operand::Imm((m >> 32) as u32),
            nonzero,
            lo,
        );
    }

    if !wide {
        let w = word(Half::Lo, flip);
        let k = half_of(c.value, Half::Lo, c.view, sign);
        return match c.op {
            CmpOp::Eq => b.test(w, Cond::Eq, k, t, f),
            CmpOp::Ne => b.test(w, Cond::Eq, k, f, t),
            CmpOp::Gt => b.test(w, Cond::Gt, k, t, f),
            CmpOp::Ge => b.test(w, Cond::Ge, k, t, f),
            CmpOp::Lt => b.test(w, Cond::Ge, k, f, t),
            CmpOp::Le => b.test(w, Cond::Gt, k, f, t),
        };
    }

    let (hi, lo) = (word(Half::Hi, flip), word(Half::Lo, false));
    let khi = half_of(c.value, Half::Hi, c.view, sign);
    let klo = half_of(c.value, Half::Lo, c.view, 0);
    match c.op {
        CmpOp::Eq | CmpOp::Ne => {
            let (t, f) = if c.op == CmpOp::Eq { (t, f) } else { (f, t) };
            let low = b.test(lo, Cond::Eq, klo, t, f);
            b.test(hi, Cond::Eq, khi, low, f)
        }
        CmpOp::Gt | CmpOp::Ge | CmpOp::Lt | CmpOp::Le => {
            // x > c  ⇔  hi > c.hi  ∨  (hi == c.hi ∧ lo > c.lo)   (likewise for ≥)
            let (strict, t, f) = match c.op {
                CmpOp::Gt => (true, t, f),
                CmpOp::Ge => (false, t, f),
                CmpOp::Lt => (false, f, t),
                _ => (true, f, t),
            };
            let low = b.test(lo, if strict { Cond::Gt } else { Cond::Ge }, klo, t, f);
            let equal_hi = b.test(hi, Cond::Eq, khi, low, f);
            b.test(hi, Cond::Gt, khi, t, equal_hi)
        }
    }
}
