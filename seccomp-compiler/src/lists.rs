//! `ir::Program` → `ir::Program`: a long chain of equality tests on one word becomes
//! a search.
//!
//! `cmd in [v1, …, vn]` (or `cmd == v1 || … || cmd == vn`) is lowered to a chain: `jeq
//! v1` to the outcome, else `jeq v2`, … else on. A value late in the list, and every
//! value not in it, runs all n tests. When a chain of at least [`MIN_CHAIN`] tests
//! on one word all go to one node when they hold, this pass replaces it by a search:
//! the distinct values, sorted, are cut into buckets of at most [`BUCKET`], `jge`
//! picks the bucket in ⌈log₂(n / BUCKET)⌉ tests, and the bucket's `jeq`s decide. For
//! 64 values that is at most 4 + 4 tests instead of 64, for a program a quarter
//! longer (one `jge` per bucket); [`crate::compile_resolved`] keeps the chains when
//! the search would not fit in the kernel's 4096 instructions.
//!
//! Nothing else changes: every other node is rebuilt as it was.

use std::collections::HashMap;

use crate::ir::{Builder, Cond, Dispatch, Node, NodeId, Operand, Program, Word};

/// The shortest chain made a search.
pub const MIN_CHAIN: usize = 8;

/// The most `jeq`s at a leaf of the search.
pub const BUCKET: usize = 4;

/// A chain starting at a node: its word, the values, where a hit goes and where
/// the last miss goes.
struct Chain {
    word: Word,
    values: Vec<u32>,
    hit: NodeId,
    miss: NodeId,
}

/// The chain of equality tests starting at `id`, if it is one of at least
/// [`MIN_CHAIN`] tests.
fn chain(p: &Program, id: NodeId) -> Option<Chain> {
    let Node::Test {
        word,
        cond: Cond::Eq,
        k: Operand::Imm(_),
        then: hit,
        ..
    } = p.node(id)
    else {
        return None;
    };
    let mut values = Vec::new();
    let mut at = id;
    loop {
        match p.node(at) {
            Node::Test {
                word: w,
                cond: Cond::Eq,
                k: Operand::Imm(k),
                then,
                other,
            } if w == word && then == hit => {
                values.push(k);
                at = other;
            }
            _ => break,
        }
    }
    (values.len() >= MIN_CHAIN).then_some(Chain {
        word,
        values,
        hit,
        miss: at,
    })
}

/// Makes every long chain of equality tests a search; see the module's documentation.
///
/// ```
/// use seccomp_compiler::{Arch, ir::{Cond, Node}, lists, lower, resolve, syntax};
/// let ast = syntax::parse_str("ioctl: cmd in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]; default => kill;").unwrap();
/// let ir = lists::search(&lower::lower(&resolve::resolve(&ast, Arch::X86_64).unwrap()));
/// let count = |c: Cond| ir.nodes.iter().filter(|n| matches!(n, Node::Test { cond, .. } if *cond == c)).count();
/// assert_eq!((count(Cond::Eq), count(Cond::Ge)), (12, 2)); // 3 buckets of 4, found by 2 jge
/// ```
#[must_use]
pub fn search(old: &Program) -> Program {
    // The nodes still reached once chains are searches: a chain's inner tests are
    // not, unless something else leads to them.
    let mut chains: HashMap<NodeId, Chain> = HashMap::new();
    let mut reached = vec![false; old.nodes.len()];
    let mut stack: Vec<NodeId> = old
        .arches
        .iter()
        .flat_map(|d| d.ranges.iter().map(|r| r.1))
        .chain([old.bad_arch])
        .collect();
    while let Some(id) = stack.pop() {
        if std::mem::replace(&mut reached[id.0 as usize], true) {
            continue;
        }
        if let Some(c) = chain(old, id) {
            stack.extend([c.hit, c.miss]);
            chains.insert(id, c);
        } else if let Node::Test { then, other, .. } = old.node(id) {
            stack.extend([then, other]);
        }
    }
    let mut b = Builder::new();
    // Old node → new node. Children have smaller ids than their parents, and a
    // chain's hit and miss nodes are below its head: increasing order sees every
    // node after what it leads to.
    let mut new: HashMap<NodeId, NodeId> = HashMap::new();
    for i in (0..old.nodes.len()).filter(|&i| reached[i]) {
        #[allow(clippy::cast_possible_truncation)]
        let id = NodeId(i as u32);
        let n = if let Some(c) = chains.remove(&id) {
            let mut values = c.values;
            values.sort_unstable();
            values.dedup();
            let (hit, miss) = (new[&c.hit], new[&c.miss]);
            let buckets: Vec<&[u32]> = values.chunks(BUCKET).collect();
            tree(&mut b, c.word, &buckets, hit, miss)
        } else {
            match old.node(id) {
                Node::Ret(a) => b.ret(a),
                Node::Test {
                    word,
                    cond,
                    k,
                    then,
                    other,
                } => b.test(word, cond, k, new[&then], new[&other]),
            }
        };
        new.insert(id, n);
    }
    let arches = old
        .arches
        .iter()
        .map(|d| Dispatch {
            audit_arch: d.audit_arch,
            ranges: d.ranges.iter().map(|&(s, n)| (s, new[&n])).collect(),
        })
        .collect();
    b.finish(arches, new[&old.bad_arch])
}

/// A balanced search over sorted buckets: `jge` on the first value of the middle
/// one, down to one bucket, whose `jeq`s go to `hit` and whose last miss to `miss`.
fn tree(b: &mut Builder, word: Word, buckets: &[&[u32]], hit: NodeId, miss: NodeId) -> NodeId {
    if let [bucket] = buckets {
        let mut next = miss;
        for &v in bucket.iter().rev() {
            next = b.test(word, Cond::Eq, Operand::Imm(v), hit, next);
        }
        return next;
    }
    let (left, right) = buckets.split_at(buckets.len() / 2);
    let l = tree(b, word, left, hit, miss);
    let r = tree(b, word, right, hit, miss);
    b.test(word, Cond::Ge, Operand::Imm(right[0][0]), r, l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Action, Half};

    fn fd() -> Word {
        Word {
            arg: 0,
            half: Half::Lo,
            mask: None,
            flip: false,
        }
    }

    fn eval(p: &Program, mut n: NodeId, v: u32) -> (Action, usize) {
        let mut tests = 0;
        loop {
            match p.node(n) {
                Node::Ret(a) => return (a, tests),
                Node::Test {
                    cond,
                    k: Operand::Imm(k),
                    then,
                    other,
                    ..
                } => {
                    tests += 1;
                    let holds = match cond {
                        Cond::Eq => v == k,
                        Cond::Gt => v > k,
                        Cond::Ge => v >= k,
                        Cond::Set => v & k != 0,
                    };
                    n = if holds { then } else { other };
                }
                Node::Test { .. } => unreachable!("immediates only"),
            }
        }
    }

    /// A chain of `values` to allow, else kill; the root.
    fn chain_program(values: &[u32]) -> (Program, NodeId) {
        let mut b = Builder::new();
        let kill = b.ret(Action::KillProcess);
        let allow = b.ret(Action::Allow);
        let mut next = kill;
        for &v in values.iter().rev() {
            next = b.test(fd(), Cond::Eq, Operand::Imm(v), allow, next);
        }
        let p = b.finish(
            vec![Dispatch {
                audit_arch: 1,
                ranges: vec![(0, next)],
            }],
            kill,
        );
        (p, next)
    }

    #[test]
    fn lists_decide_alike_as_chains_and_as_searches() {
        let lists: [&[u32]; 5] = [
            &[5, 1, 9, 3, 7, 2, 8, 6],
            &[
                0,
                u32::MAX,
                1,
                u32::MAX - 1,
                0x8000_0000,
                0x7fff_ffff,
                4,
                4,
                4,
            ],
            &[10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130],
            &[
                3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3,
            ],
            &[1, 2, 3, 4, 5, 6, 7],
        ];
        for values in lists {
            let (old, root) = chain_program(values);
            let new = search(&old);
            let new_root = new.arches[0].ranges[0].1;
            let mut probes: Vec<u32> = values
                .iter()
                .flat_map(|&v| [v, v.wrapping_add(1), v.wrapping_sub(1)])
                .collect();
            probes.extend([0, 1, u32::MAX, 0x8000_0000, 1000]);
            for v in probes {
                let (a, _) = eval(&old, root, v);
                let (b, tests) = eval(&new, new_root, v);
                assert_eq!(a, b, "{values:?} at {v}");
                let distinct = {
                    let mut d = values.to_vec();
                    d.sort_unstable();
                    d.dedup();
                    d.len()
                };
                if distinct >= MIN_CHAIN {
                    // ⌈log₂ buckets⌉ + one bucket.
                    let buckets = distinct.div_ceil(BUCKET);
                    let bound = buckets.next_power_of_two().trailing_zeros() as usize + BUCKET;
                    assert!(tests <= bound, "{values:?} at {v}: {tests} tests");
                }
            }
        }
    }

    #[test]
    fn short_chains_and_mixed_targets_stay_chains() {
        let (old, _) = chain_program(&[1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(search(&old).nodes.len(), old.nodes.len());
        // Eight tests, but the fifth goes elsewhere when it holds: two short chains.
        let mut b = Builder::new();
        let kill = b.ret(Action::KillProcess);
        let allow = b.ret(Action::Allow);
        let errno = b.ret(Action::Errno(1));
        let mut next = kill;
        for v in (0..8u32).rev() {
            let to = if v == 4 { errno } else { allow };
            next = b.test(fd(), Cond::Eq, Operand::Imm(v), to, next);
        }
        let old = b.finish(
            vec![Dispatch {
                audit_arch: 1,
                ranges: vec![(0, next)],
            }],
            kill,
        );
        let new = search(&old);
        assert!(
            !new.nodes
                .iter()
                .any(|n| matches!(n, Node::Test { cond: Cond::Ge, .. }))
        );
    }
}
