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
    let admitted: Vec<Arch> = policy.abis.iter().map(|a| a.arch).collect();
    let arches = audit_values
        .into_iter()
        .map(|audit_arch| {
            // Every ABI whose rules may decide a number reported with this value.
            let group: Vec<&AbiRules> = policy
                .abis
                .iter()
                .filter(|a| {
                    a.arch.audit_arch() == audit_arch
                        || admitted.iter().any(|&t| {
                            t.audit_arch() == audit_arch && foreign_numbers_served(t, a.arch)
                        })
                })
                .collect();
            Dispatch {
                audit_arch,
                ranges: dispatch(&mut b, &admitted, audit_arch, &group, bad_arch),
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

/// The mips ABIs of each byte order.
const MIPS_BIG: [Arch; 3] = [Arch::Mips, Arch::Mips64, Arch::Mips64n32];
const MIPS_LITTLE: [Arch; 3] = [Arch::Mipsel, Arch::Mipsel64, Arch::Mipsel64n32];

/// The mips ABI whose numbers `nr` is, among the ABIs of `task`'s byte order:
/// o32's are 4000–4999, n64's 5000–5999, n32's 6000–6999 (`__NR_O32_Linux`,
/// `__NR_64_Linux`, `__NR_N32_Linux` in arch/mips/include/uapi/asm/unistd.h, each
/// table shorter than 1000), as the generated ABI descriptions say
/// ([`Arch::info`], `nr_first..=nr_last`). `None` for a number of no mips ABI, and
/// for `task`s of other architectures.
fn mips_numbers(task: Arch, nr: u32) -> Option<Arch> {
    let family = if MIPS_BIG.contains(&task) {
        MIPS_BIG
    } else if MIPS_LITTLE.contains(&task) {
        MIPS_LITTLE
    } else {
        return None;
    };
    family.into_iter().find(|a| a.info().owns(nr))
}

/// Whether a task of ABI `task` that makes a syscall by a number of ABI `other`
/// (another mips ABI) is filtered by `other`'s rules when the policy admits `other`.
///
/// On a 64-bit mips kernel every task can make every ABI's syscalls by number: the
/// entry `handle_sys` (arch/mips/kernel/scall64-o32.S) runs o32's table for
/// 4000–4999 and passes any other number to `handle_sysn32` (scall64-n32.S: n32's
/// table for 6000–6999), which passes the rest to `handle_sys64` (scall64-n64.S:
/// n64's for 5000–5999; anything else is `ENOSYS`). The filter sees the number with
/// the *task's* `AUDIT_ARCH` (arch/mips/include/asm/syscall.h, `syscall_get_arch`:
/// from the task's `TIF_32BIT_REGS`/`TIF_32BIT_ADDR`, not from the number).
///
/// Between n64 and n32 the filter sees what the syscall gets: both pass the six
/// arguments in registers. Across o32 and the others it does not: for an o32 task
/// `syscall_get_arguments` reads arguments 4 and 5 from the user stack, where an
/// n64/n32 syscall takes registers; and for an n64/n32 task calling o32's
/// `syscall` (4000), the filter sees the target number but arguments that are not
/// shifted (`mips_syscall_is_indirect` is false for it, while the entry stores `a0`
/// as the number). So o32 numbers from n64/n32 tasks, and n64/n32 numbers from o32
/// tasks, always get `bad_arch`: no program makes them. (Read in Linux 6.16 and
/// 6.18 trees: the search corpus holds no v7.2.13 copy of these files.)
fn foreign_numbers_served(task: Arch, other: Arch) -> bool {
    matches!(
        (task, other),
        (Arch::Mips64, Arch::Mips64n32)
            | (Arch::Mips64n32, Arch::Mips64)
            | (Arch::Mipsel64, Arch::Mipsel64n32)
            | (Arch::Mipsel64n32, Arch::Mipsel64)
    )
}

/// The admitted ABI whose rules decide number `nr` reported with `audit_arch`;
/// `None`: `bad_arch`.
///
/// The ABIs that report `audit_arch` own the numbers [`owns`] gives them; a number
/// in another mips ABI's range belongs to that ABI, whose rules decide it when the
/// policy admits it and [`foreign_numbers_served`] allows; else it is `bad_arch`,
/// as x32 numbers are on an x86_64 filter that does not admit x32.
pub(crate) fn serving(admitted: &[Arch], audit_arch: u32, nr: u32) -> Option<Arch> {
    let tasks = || {
        admitted
            .iter()
            .copied()
            .filter(|a| a.audit_arch() == audit_arch)
    };
    let task = tasks().next()?;
    match mips_numbers(task, nr) {
        Some(numbers) if numbers == task => Some(task),
        Some(numbers) => (admitted.contains(&numbers) && foreign_numbers_served(task, numbers))
            .then_some(numbers),
        None if mips_numbers(task, 4000).is_some() => Some(task),
        None => tasks().find(|&a| owns(a, nr)),
    }
}

fn dispatch(
    b: &mut Builder,
    admitted: &[Arch],
    audit_arch: u32,
    group: &[&AbiRules],
    bad_arch: NodeId,
) -> Vec<(u32, NodeId)> {
    let mut bounds: BTreeSet<u32> = [0, X32_SYSCALL_BIT, u32::MAX]
        .into_iter()
        .chain(
            MIPS_BIG
                .iter()
                .flat_map(|a| [a.info().nr_first, a.info().nr_last + 1]),
        )
        .collect();
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
        let serving = serving(admitted, audit_arch, start);
        let node = match group.iter().find(|abi| Some(abi.arch) == serving) {
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
