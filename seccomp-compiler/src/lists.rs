//! `ir::Program` → `ir::Program`: a long chain of equality tests on one word becomes
//! a search.
//!
//! `cmd in [v1, …, vn]` (or `cmd == v1 || … || cmd == vn`) is lowered to a chain: `jeq
//! v1` to the outcome, else `jeq v2`, … else on. A value late in the list, and every
//! value not in it, runs all n tests. When a chain of at least [`MIN_CHAIN`] tests
//! on one word all go to one node when they hold, this pass replaces it by a search:
//! the distinct values, sorted and gathered into runs of consecutive values, are cut
//! into buckets of at most [`BUCKET`] runs, `jge` picks the bucket in ⌈log₂ buckets⌉
//! tests, and the bucket decides: a `jeq` per value, or for a run of three values or
//! more (or fewer, where the search's bounds spare a test) `jge` and `jgt` on its
//! ends. For 64 scattered values that is at most 4 + 4 tests instead of 64, for a
//! program a quarter longer (one `jge` per bucket); `cmd in [1, 2, …, 100]` is two
//! tests. [`crate::compile_resolved`] keeps the chains when the search would not fit
//! in the kernel's 4096 instructions.
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
/// let policy = |src| resolve::resolve(&syntax::parse_str(src).unwrap(), Arch::X86_64).unwrap();
/// let tests = |src, c: Cond| {
///     let ir = lists::search(&lower::lower(&policy(src)));
///     ir.nodes.iter().filter(|n| matches!(n, Node::Test { cond, .. } if *cond == c)).count()
/// };
/// // 12 scattered values: 3 buckets of 4 `jeq`, found by 2 `jge`.
/// let scattered = "ioctl: cmd in [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23]; default => kill;";
/// assert_eq!((tests(scattered, Cond::Eq), tests(scattered, Cond::Ge)), (12, 2));
/// // 12 consecutive values: one run, `jge 1` then `jgt 12`.
/// let run = "ioctl: cmd in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]; default => kill;";
/// assert_eq!((tests(run, Cond::Eq), tests(run, Cond::Ge), tests(run, Cond::Gt)), (0, 1, 1));
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
            let Chain {
                word,
                mut values,
                hit,
                miss,
            } = c;
            values.sort_unstable();
            values.dedup();
            // Runs of consecutive values, each one item of a bucket.
            let mut runs: Vec<(u32, u32)> = Vec::new();
            for v in values {
                match runs.last_mut() {
                    Some((_, last)) if last.checked_add(1) == Some(v) => *last = v,
                    _ => runs.push((v, v)),
                }
            }
            let c = Chain {
                word,
                values: Vec::new(),
                hit: new[&hit],
                miss: new[&miss],
            };
            let buckets: Vec<&[(u32, u32)]> = runs.chunks(BUCKET).collect();
            tree(&mut b, &c, &buckets, 0, u32::MAX)
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

/// A balanced search over sorted buckets of runs of consecutive values, the word
/// known to lie in `lo ..= hi`: `jge` on the first value of the middle bucket, down
/// to one bucket, which [`bucket`] decides.
fn tree(b: &mut Builder, c: &Chain, buckets: &[&[(u32, u32)]], lo: u32, hi: u32) -> NodeId {
    if let [runs] = buckets {
        return bucket(b, c, runs, lo, hi);
    }
    let (left, right) = buckets.split_at(buckets.len() / 2);
    let at = right[0][0].0;
    let l = tree(b, c, left, lo, at - 1);
    let r = tree(b, c, right, at, hi);
    b.test(c.word, Cond::Ge, Operand::Imm(at), r, l)
}

/// The tests of one bucket, the word known to lie in `lo ..= hi`: a run of values
/// `a ..= b` is `jge a` (below it, no later run can hold it either: a miss) then
/// `jgt b` (above: the next run), each left out where the bounds decide it, when
/// that is fewer tests than a `jeq` per value; otherwise one `jeq` per value.
fn bucket(b: &mut Builder, c: &Chain, runs: &[(u32, u32)], lo: u32, hi: u32) -> NodeId {
    let (hit, miss) = (c.hit, c.miss);
    let mut next = miss;
    for &(first, last) in runs.iter().rev() {
        let range_tests = usize::from(lo < first) + usize::from(hi > last);
        let values = (last - first) as usize + 1;
        next = if range_tests < values {
            let inside = if hi > last {
                b.test(c.word, Cond::Gt, Operand::Imm(last), next, hit)
            } else {
                hit
            };
            if lo < first {
                b.test(c.word, Cond::Ge, Operand::Imm(first), inside, miss)
            } else {
                inside
            }
        } else {
            (first..=last).rev().fold(next, |n, v| {
                b.test(c.word, Cond::Eq, Operand::Imm(v), hit, n)
            })
        };
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Action;
    use crate::ir::testing::{eval, fd, one_range};

    /// A chain of `values` to allow, else kill; the root.
    fn chain_program(values: &[u32]) -> (Program, NodeId) {
        let mut b = Builder::new();
        let kill = b.ret(Action::KillProcess);
        let allow = b.ret(Action::Allow);
        let mut next = kill;
        for &v in values.iter().rev() {
            next = b.test(fd(), Cond::Eq, Operand::Imm(v), allow, next);
        }
        (one_range(b, next, kill), next)
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
                let (a, _) = eval(&old, root, |_| v);
                let (b, tests) = eval(&new, new_root, |_| v);
                assert_eq!(a, b, "{values:?} at {v}");
                let distinct = {
                    let mut d = values.to_vec();
                    d.sort_unstable();
                    d.dedup();
                    d.len()
                };
                if distinct >= MIN_CHAIN {
                    // ⌈log₂ buckets⌉ + one bucket: at most two tests per run.
                    let buckets = distinct.div_ceil(BUCKET);
                    let bound = buckets.next_power_of_two().trailing_zeros() as usize + 2 * BUCKET;
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
        let old = one_range(b, next, kill);
        let new = search(&old);
        assert!(
            !new.nodes
                .iter()
                .any(|n| matches!(n, Node::Test { cond: Cond::Ge, .. }))
        );
    }
}
