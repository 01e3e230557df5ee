//! The decision IR: a hash-consed DAG of word tests and returns, plus a dispatch
//! over `(arch, nr)` per admitted `AUDIT_ARCH` value.
//!
//! Invariants, kept by [`Builder`] (there is no other way to make a node):
//! - a node's children have smaller ids than the node, so emitting nodes in
//!   decreasing id order makes every jump go forward;
//! - identical nodes are one node (hash-consing), so identical argument blocks and
//!   returns are shared;
//! - no test has two equal children, and no test on constants is decided at
//!   compile time (`jge #0`, `jgt #0xffffffff`, `jset #0` are folded away);
//! - a dispatch covers every number `0 ..= u32::MAX`, and neighbouring ranges lead
//!   to different nodes.

use std::collections::HashMap;

pub use seccomp_bpf::data::Half;
pub use seccomp_bpf::ret::Action;

/// A node of [`Program::nodes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// A 32-bit constant operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    /// Known now.
    Imm(u32),
    /// `((params[param] as u64 >> half) as u32 & and) ^ xor`, known at install time.
    Param {
        /// The parameter.
        param: u32,
        /// Which half of its 64-bit two's complement.
        half: Half,
        /// Bits kept.
        and: u32,
        /// Bits flipped.
        xor: u32,
    },
    /// `((symbols[sym] as u64 >> half) as u32 & and) ^ xor`, known to rustc only.
    Sym {
        /// The symbol.
        sym: u32,
        /// Which half of its 64-bit two's complement.
        half: Half,
        /// Bits kept.
        and: u32,
        /// Bits flipped.
        xor: u32,
    },
}

/// What the accumulator holds when a test runs:
/// `(args[arg].half & mask) ^ (flip ? 0x8000_0000 : 0)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Word {
    /// `seccomp_data.args[]` index.
    pub arg: u8,
    /// Which half of the register.
    pub half: Half,
    /// `and` applied after the load.
    pub mask: Option<Operand>,
    /// Whether the sign bit is flipped, which turns a signed comparison into the
    /// unsigned one BPF has.
    pub flip: bool,
}

/// The jump conditions of classic BPF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cond {
    /// `A == k`
    Eq,
    /// `A > k`
    Gt,
    /// `A >= k`
    Ge,
    /// `A & k != 0`
    Set,
}

/// A node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// Return this action.
    Ret(Action),
    /// Test the word and go on to `then` or `other`.
    Test {
        /// What is tested.
        word: Word,
        /// How.
        cond: Cond,
        /// Against what.
        k: Operand,
        /// When the condition holds.
        then: NodeId,
        /// When it does not.
        other: NodeId,
    },
}

/// The whole decision program.
#[derive(Clone, Debug)]
pub struct Program {
    /// Every node; `nodes[i]` is `NodeId(i)`.
    pub nodes: Vec<Node>,
    /// One dispatch per admitted `AUDIT_ARCH` value, in policy order.
    pub arches: Vec<Dispatch>,
    /// What every other `arch` gets.
    pub bad_arch: NodeId,
}

/// The dispatch of one `AUDIT_ARCH` value over syscall numbers.
#[derive(Clone, Debug)]
pub struct Dispatch {
    /// The `AUDIT_ARCH_*` value.
    pub audit_arch: u32,
    /// `(first number, node)`, sorted; each range runs up to the next one's start.
    pub ranges: Vec<(u32, NodeId)>,
}

impl Program {
    /// The node of an id.
    #[must_use]
    pub fn node(&self, id: NodeId) -> Node {
        self.nodes[id.0 as usize]
    }
}

/// Makes nodes, sharing identical ones and folding decided tests.
#[derive(Debug, Default)]
pub struct Builder {
    nodes: Vec<Node>,
    index: HashMap<Node, NodeId>,
}

impl Builder {
    /// An empty builder.
    #[must_use]
    pub fn new() -> Self {
        Builder::default()
    }

    fn intern(&mut self, n: Node) -> NodeId {
        if let Some(&id) = self.index.get(&n) {
            return id;
        }
        #[allow(clippy::cast_possible_truncation)]
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(n);
        self.index.insert(n, id);
        id
    }

    /// A return.
    pub fn ret(&mut self, a: Action) -> NodeId {
        self.intern(Node::Ret(a))
    }

    /// A test; folded away when both branches agree or the outcome is decided.
    pub fn test(
        &mut self,
        word: Word,
        cond: Cond,
        k: Operand,
        then: NodeId,
        other: NodeId,
    ) -> NodeId {
        if then == other {
            return then;
        }
        if let Operand::Imm(k) = k {
            match (cond, k) {
                (Cond::Ge, 0) => return then,
                (Cond::Gt, u32::MAX) | (Cond::Set, 0) => return other,
                _ => {}
            }
        }
        let word = match word.mask {
            Some(Operand::Imm(u32::MAX)) => Word { mask: None, ..word },
            _ => word,
        };
        self.intern(Node::Test {
            word,
            cond,
            k,
            then,
            other,
        })
    }

    /// Finishes the program.
    #[must_use]
    pub fn finish(self, arches: Vec<Dispatch>, bad_arch: NodeId) -> Program {
        Program {
            nodes: self.nodes,
            arches,
            bad_arch,
        }
    }
}

/// Helpers for the tests of the IR passes.
#[cfg(test)]
pub(crate) mod testing {
    use super::{Action, Builder, Cond, Dispatch, Half, Node, NodeId, Operand, Program, Word};

    /// The plain low word of `args[0]`.
    pub fn fd() -> Word {
        Word {
            arg: 0,
            half: Half::Lo,
            mask: None,
            flip: false,
        }
    }

    /// A program of one ABI whose every number leads to `root`, every other ABI to
    /// `bad_arch`.
    pub fn one_range(b: Builder, root: NodeId, bad_arch: NodeId) -> Program {
        b.finish(
            vec![Dispatch {
                audit_arch: 1,
                ranges: vec![(0, root)],
            }],
            bad_arch,
        )
    }

    /// What node `n` decides when each word it tests holds `value(word)`, and how
    /// many tests that took. Immediate operands only.
    pub fn eval(p: &Program, mut n: NodeId, value: impl Fn(Word) -> u32) -> (Action, usize) {
        let mut tests = 0;
        loop {
            match p.node(n) {
                Node::Ret(a) => return (a, tests),
                Node::Test {
                    word,
                    cond,
                    k: Operand::Imm(k),
                    then,
                    other,
                } => {
                    tests += 1;
                    let v = value(word);
                    let holds = match cond {
                        Cond::Eq => v == k,
                        Cond::Gt => v > k,
                        Cond::Ge => v >= k,
                        Cond::Set => v & k != 0,
                    };
                    n = if holds { then } else { other };
                }
                Node::Test { .. } => unreachable!("immediate operands only"),
            }
        }
    }
}
