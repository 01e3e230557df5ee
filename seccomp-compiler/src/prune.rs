//! `ir::Program` → `ir::Program`: every test that the tests above it on the same
//! word already decide is removed.
//!
//! A policy's rules are lowered one comparison at a time, so a path can test a
//! word whose value earlier tests on that path have pinned down:
//! `write: fd <= 2 || fd >= 3` tests `fd >= 3` only where `fd > 2`, which makes it
//! true; `cmd == 1 => allow; cmd == 1 => errno(EPERM)` tests `cmd == 1` again
//! where it is known false. Walking each path from its dispatch range, this pass
//! keeps what is known of every word — an interval and a few excluded values —
//! and follows a decided test's branch instead of emitting it. A syscall whose
//! every path then ends in one action needs no argument at all, so the kernel's
//! action cache can serve it.
//!
//! A word is the exact value a test sees ([`Word`]: register, half, mask, sign
//! flip); what is known of one word says nothing of another, even of the same
//! register. Tests against a parameter or a symbol are kept, unknown until install
//! or build time, and teach nothing.
//!
//! The walk rebuilds a node once per distinct knowledge that reaches it, keeping
//! only what concerns the words its subtree tests (a node only one edge leads to is
//! not looked up: it is reached once per rebuild of its parent); a policy whose
//! paths would need more than [`BUDGET`] rebuilt nodes is left as it is.

use std::collections::HashMap;

use crate::ir::{Builder, Cond, Dispatch, Node, NodeId, Operand, Program, Word};

/// The most nodes the walk may rebuild before it gives up and keeps the program
/// unpruned: a bound on compile time for pathological policies.
pub const BUDGET: usize = 1_000_000;

/// The most excluded values remembered per word (forgetting is always sound).
const MAX_EXCLUDED: usize = 8;

/// What a path knows of one word: it lies in `lo ..= hi` and is none of `not`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Fact {
    word: Word,
    lo: u32,
    hi: u32,
    /// Sorted, all strictly inside `lo ..= hi`.
    not: Vec<u32>,
}

impl Fact {
    fn any(word: Word) -> Fact {
        Fact {
            word,
            lo: 0,
            hi: u32::MAX,
            not: Vec::new(),
        }
    }

    /// The outcome of `word cond k`, when this knowledge decides it.
    fn decide(&self, cond: Cond, k: u32) -> Option<bool> {
        match cond {
            Cond::Eq if self.lo == k && self.hi == k => Some(true),
            Cond::Eq if k < self.lo || k > self.hi || self.not.contains(&k) => Some(false),
            Cond::Gt if self.lo > k => Some(true),
            Cond::Gt if self.hi <= k => Some(false),
            Cond::Ge if self.lo >= k => Some(true),
            Cond::Ge if self.hi < k => Some(false),
            Cond::Set if self.lo == self.hi => Some(self.lo & k != 0),
            // Every value is below `k`'s lowest bit: no bit of `k` can be set.
            Cond::Set if k != 0 && u64::from(self.hi) < 1u64 << k.trailing_zeros() => Some(false),
            _ => None,
        }
    }

    /// This knowledge, after `word cond k` came out `holds` (and was not decided).
    fn learn(&self, cond: Cond, k: u32, holds: bool) -> Fact {
        let mut f = self.clone();
        match (cond, holds) {
            (Cond::Eq, true) => (f.lo, f.hi) = (k, k),
            (Cond::Eq, false) => {
                if let Err(at) = f.not.binary_search(&k)
                    && f.not.len() < MAX_EXCLUDED
                {
                    f.not.insert(at, k);
                }
            }
            // Undecided: `lo <= k < hi`, so `k + 1` does not overflow.
            (Cond::Gt, true) => f.lo = f.lo.max(k + 1),
            (Cond::Gt, false) => f.hi = f.hi.min(k),
            (Cond::Ge, true) => f.lo = f.lo.max(k),
            // Undecided: `lo < k`, so `k - 1` does not underflow.
            (Cond::Ge, false) => f.hi = f.hi.min(k - 1),
            (Cond::Set, _) => {}
        }
        // Excluded values at an end move the end; those outside go.
        while f.lo < f.hi && f.not.first() == Some(&f.lo) {
            f.not.remove(0);
            f.lo += 1;
        }
        while f.lo < f.hi && f.not.last() == Some(&f.hi) {
            f.not.pop();
            f.hi -= 1;
        }
        f.not.retain(|&v| f.lo < v && v < f.hi);
        f
    }
}

/// What a path knows: one fact per word it has tested (and that still matters).
type Knowledge = Vec<Fact>;

struct Pruner<'a> {
    old: &'a Program,
    /// The words each old node's subtree tests.
    tested: Vec<Vec<Word>>,
    /// Whether more than one edge (or a dispatch) leads to the old node: only those
    /// can be reached twice with the same knowledge, so only those are memoized.
    shared: Vec<bool>,
    b: Builder,
    memo: HashMap<(NodeId, Knowledge), NodeId>,
    /// Nodes rebuilt so far, against [`BUDGET`].
    work: usize,
}

/// Removes every test the tests above it decide; see the module's documentation.
///
/// ```
/// use seccomp_compiler::{Arch, ir::Node, lower, prune, resolve, syntax};
/// let ast = syntax::parse_str("write: fd <= 2 || fd >= 3; default => kill;").unwrap();
/// let policy = resolve::resolve(&ast, Arch::X86_64).unwrap();
/// let before = lower::lower(&policy);
/// let after = prune::prune(&before);
/// let tests = |p: &seccomp_compiler::ir::Program| {
///     p.nodes.iter().filter(|n| matches!(n, Node::Test { .. })).count()
/// };
/// assert_eq!(tests(&before), 2);
/// assert_eq!(tests(&after), 0); // the check always holds: write is allowed outright
/// ```
#[must_use]
pub fn prune(old: &Program) -> Program {
    // Children have smaller ids: one pass in increasing order sees them first.
    let mut tested: Vec<Vec<Word>> = Vec::with_capacity(old.nodes.len());
    for n in &old.nodes {
        let words = match *n {
            Node::Ret(_) => Vec::new(),
            Node::Test {
                word, then, other, ..
            } => {
                let mut w = vec![word];
                for c in [then, other] {
                    for x in &tested[c.0 as usize] {
                        if !w.contains(x) {
                            w.push(*x);
                        }
                    }
                }
                w
            }
        };
        tested.push(words);
    }
    let mut edges = vec![0u32; old.nodes.len()];
    for n in &old.nodes {
        if let Node::Test { then, other, .. } = *n {
            edges[then.0 as usize] += 1;
            edges[other.0 as usize] += 1;
        }
    }
    let roots = old.arches.iter().flat_map(|d| d.ranges.iter().map(|r| r.1));
    for r in roots.chain([old.bad_arch]) {
        edges[r.0 as usize] += 2;
    }
    let mut p = Pruner {
        old,
        tested,
        shared: edges.iter().map(|&e| e > 1).collect(),
        b: Builder::new(),
        memo: HashMap::new(),
        work: 0,
    };
    let Some(bad_arch) = p.node(old.bad_arch, &Vec::new()) else {
        return old.clone();
    };
    let mut arches = Vec::with_capacity(old.arches.len());
    for d in &old.arches {
        let mut ranges: Vec<(u32, NodeId)> = Vec::with_capacity(d.ranges.len());
        for &(start, n) in &d.ranges {
            let Some(n) = p.node(n, &Vec::new()) else {
                return old.clone();
            };
            // Neighbours that now lead to one node are one range.
            if ranges.last().is_none_or(|&(_, m)| m != n) {
                ranges.push((start, n));
            }
        }
        arches.push(Dispatch {
            audit_arch: d.audit_arch,
            ranges,
        });
    }
    p.b.finish(arches, bad_arch)
}

/// A step of the walk, which keeps its own stack: paths can be thousands of
/// tests long.
enum Step {
    /// Rebuild this node under this knowledge; push the result.
    Enter(NodeId, Knowledge),
    /// Pop `other`'s and `then`'s results, make the test, push it.
    Test {
        key: (NodeId, Knowledge),
        word: Word,
        cond: Cond,
        k: Operand,
    },
    /// The result on top is also this key's (a decided test).
    Same((NodeId, Knowledge)),
}

impl Pruner<'_> {
    fn remember(&mut self, key: (NodeId, Knowledge), n: NodeId) {
        if self.shared[key.0.0 as usize] {
            self.memo.insert(key, n);
        }
    }

    /// The node `id` rebuilt under `known`; `None` once over the budget.
    fn node(&mut self, id: NodeId, known: &Knowledge) -> Option<NodeId> {
        let mut steps = vec![Step::Enter(id, known.clone())];
        let mut results: Vec<NodeId> = Vec::new();
        while let Some(step) = steps.pop() {
            match step {
                Step::Enter(id, known) => {
                    let words = &self.tested[id.0 as usize];
                    let known: Knowledge = known
                        .into_iter()
                        .filter(|f| words.contains(&f.word))
                        .collect();
                    let key = (id, known);
                    if self.shared[id.0 as usize]
                        && let Some(&n) = self.memo.get(&key)
                    {
                        results.push(n);
                        continue;
                    }
                    self.work += 1;
                    if self.work > BUDGET {
                        return None;
                    }
                    match self.old.node(id) {
                        Node::Ret(a) => {
                            let n = self.b.ret(a);
                            self.remember(key, n);
                            results.push(n);
                        }
                        Node::Test {
                            word,
                            cond,
                            k: Operand::Imm(k),
                            then,
                            other,
                        } => {
                            let known = &key.1;
                            let at = known.iter().position(|f| f.word == word);
                            let fact = at.map_or_else(|| Fact::any(word), |i| known[i].clone());
                            if let Some(holds) = fact.decide(cond, k) {
                                let next = if holds { then } else { other };
                                let known = known.clone();
                                steps.push(Step::Same(key));
                                steps.push(Step::Enter(next, known));
                                continue;
                            }
                            let with = |f: Fact| {
                                let mut k = known.clone();
                                match at {
                                    Some(i) => k[i] = f,
                                    None => k.push(f),
                                }
                                k
                            };
                            let (t, o) = (
                                with(fact.learn(cond, k, true)),
                                with(fact.learn(cond, k, false)),
                            );
                            steps.push(Step::Test {
                                key,
                                word,
                                cond,
                                k: Operand::Imm(k),
                            });
                            steps.push(Step::Enter(other, o));
                            steps.push(Step::Enter(then, t));
                        }
                        Node::Test {
                            word,
                            cond,
                            k,
                            then,
                            other,
                        } => {
                            let known = key.1.clone();
                            steps.push(Step::Test { key, word, cond, k });
                            steps.push(Step::Enter(other, known.clone()));
                            steps.push(Step::Enter(then, known));
                        }
                    }
                }
                Step::Test { key, word, cond, k } => {
                    let o = results.pop().expect("the other branch's result");
                    let t = results.pop().expect("the then branch's result");
                    let n = self.b.test(word, cond, k, t, o);
                    self.remember(key, n);
                    results.push(n);
                }
                Step::Same(key) => {
                    let n = *results.last().expect("the decided branch's result");
                    self.remember(key, n);
                }
            }
        }
        results.pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::testing::{eval, fd, one_range};
    use crate::ir::{Action, Half};

    fn program(b: Builder, root: NodeId) -> Program {
        one_range(b, root, NodeId(0))
    }

    fn tests(p: &Program) -> usize {
        let mut seen = vec![false; p.nodes.len()];
        let mut stack: Vec<NodeId> = p.arches[0].ranges.iter().map(|r| r.1).collect();
        let mut n = 0;
        while let Some(id) = stack.pop() {
            if std::mem::replace(&mut seen[id.0 as usize], true) {
                continue;
            }
            if let Node::Test { then, other, .. } = p.node(id) {
                n += 1;
                stack.extend([then, other]);
            }
        }
        n
    }

    #[test]
    fn a_tautology_on_one_word_becomes_its_action() {
        // fd <= 2 || fd >= 3  ⇒  allow
        let mut b = Builder::new();
        let kill = b.ret(Action::KillProcess);
        let allow = b.ret(Action::Allow);
        let ge3 = b.test(fd(), Cond::Ge, Operand::Imm(3), allow, kill);
        let root = b.test(fd(), Cond::Gt, Operand::Imm(2), ge3, allow);
        let p = prune(&program(b, root));
        assert_eq!(tests(&p), 0);
        assert_eq!(p.node(p.arches[0].ranges[0].1), Node::Ret(Action::Allow));
    }

    #[test]
    fn a_repeated_equality_is_decided_on_both_branches() {
        // fd == 1 => allow; fd == 1 => errno; default kill  ⇒  one test
        let mut b = Builder::new();
        let kill = b.ret(Action::KillProcess);
        let errno = b.ret(Action::Errno(1));
        let allow = b.ret(Action::Allow);
        let second = b.test(fd(), Cond::Eq, Operand::Imm(1), errno, kill);
        let root = b.test(fd(), Cond::Eq, Operand::Imm(1), allow, second);
        let p = prune(&program(b, root));
        assert_eq!(tests(&p), 1);
    }

    #[test]
    fn another_word_of_the_same_register_is_not_decided() {
        // fd > 2, then (fd ^ sign) >= 3: a different word, kept.
        let mut b = Builder::new();
        let kill = b.ret(Action::KillProcess);
        let allow = b.ret(Action::Allow);
        let flipped = Word { flip: true, ..fd() };
        let second = b.test(flipped, Cond::Ge, Operand::Imm(3), allow, kill);
        let root = b.test(fd(), Cond::Gt, Operand::Imm(2), second, allow);
        let p = prune(&program(b, root));
        assert_eq!(tests(&p), 2);
    }

    #[test]
    fn knowledge_at_the_ends_of_the_range_is_exact() {
        let f = Fact::any(fd());
        // Excluding 0 and u32::MAX moves both ends.
        let f = f.learn(Cond::Eq, 0, false).learn(Cond::Eq, u32::MAX, false);
        assert_eq!((f.lo, f.hi), (1, u32::MAX - 1));
        assert_eq!(f.decide(Cond::Ge, 1), Some(true));
        assert_eq!(f.decide(Cond::Gt, u32::MAX - 1), Some(false));
        // `> k` false then `>= k` true pins the value to k.
        let g = Fact::any(fd())
            .learn(Cond::Gt, 7, false)
            .learn(Cond::Ge, 7, true);
        assert_eq!(g.decide(Cond::Eq, 7), Some(true));
        assert_eq!(g.decide(Cond::Set, 4), Some(true));
        assert_eq!(g.decide(Cond::Set, 8), Some(false));
        // Below the lowest bit of the mask, no bit is set.
        let h = Fact::any(fd()).learn(Cond::Gt, 15, false);
        assert_eq!(h.decide(Cond::Set, 0x30), Some(false));
        assert_eq!(h.decide(Cond::Set, 0x18), None);
    }

    #[test]
    fn random_dags_decide_alike_before_and_after() {
        let words = [
            fd(),
            Word {
                half: Half::Hi,
                ..fd()
            },
            Word { flip: true, ..fd() },
        ];
        let ks = [
            0,
            1,
            2,
            3,
            7,
            8,
            0x8000_0000,
            0x8000_0001,
            u32::MAX - 1,
            u32::MAX,
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let conds = [Cond::Eq, Cond::Gt, Cond::Ge, Cond::Set];
        let mut values: Vec<u32> = ks
            .iter()
            .flat_map(|&k| [k, k.wrapping_add(1), k.wrapping_sub(1)])
            .collect();
        values.extend([4, 5, 6, 9, 0x7fff_ffff, 0x1234_5678]);
        let mut pruned_some = 0;
        for _ in 0..300 {
            let mut b = Builder::new();
            let mut nodes = vec![
                b.ret(Action::Allow),
                b.ret(Action::KillProcess),
                b.ret(Action::Errno(1)),
            ];
            for _ in 0..2 + next(30) {
                let (t, o) = (nodes[next(nodes.len())], nodes[next(nodes.len())]);
                let n = b.test(
                    words[next(3)],
                    conds[next(4)],
                    Operand::Imm(ks[next(ks.len())]),
                    t,
                    o,
                );
                nodes.push(n);
            }
            let root = *nodes.last().expect("a node");
            let old = program(b, root);
            let new = prune(&old);
            let new_root = new.arches[0].ranges[0].1;
            if tests(&new) < tests(&old) {
                pruned_some += 1;
            }
            for &a in &values {
                for &h in &values {
                    // The flipped word is the low word with its sign bit flipped.
                    let vs = [a, h, a ^ 0x8000_0000];
                    let value = |w: Word| vs[words.iter().position(|x| *x == w).expect("a word")];
                    assert_eq!(eval(&old, root, value).0, eval(&new, new_root, value).0);
                }
            }
        }
        assert!(pruned_some > 50, "only {pruned_some} DAGs lost a test");
    }

    #[test]
    fn parameters_teach_nothing() {
        let mut b = Builder::new();
        let kill = b.ret(Action::KillProcess);
        let allow = b.ret(Action::Allow);
        let param = Operand::Param {
            param: 0,
            half: Half::Lo,
            and: u32::MAX,
            xor: 0,
        };
        let second = b.test(fd(), Cond::Eq, param, allow, kill);
        let root = b.test(fd(), Cond::Eq, param, allow, second);
        let p = prune(&program(b, root));
        assert_eq!(tests(&p), 2);
    }
}
