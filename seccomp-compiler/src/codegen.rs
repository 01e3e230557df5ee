//! `ir::Program` → assembly with symbolic labels. No offsets are computed here:
//! [`crate::asm::assemble`] owns layout.
//!
//! The emitted program:
//!
//! ```text
//!       ld   [4]                      ; arch
//!       jeq  #AUDIT_ARCH_A, a, next   ; one check per admitted AUDIT_ARCH value
//!       …                             ; no match: the bad_arch return
//! a:    ld   [0]                      ; nr
//!       jge  #n, …                    ; binary search over ranges of numbers
//!       …                             ; leaves jump straight to a return or a block
//! node: ld   [args[i].half]           ; a test block: load (skipped when the
//!       and  #mask                    ;   accumulator already holds this word),
//!       xor  #0x80000000              ;   mask, sign flip for signed order,
//! body: jCOND #k, then, other         ;   then the jump
//! ret:  ret  #action                  ; one per distinct action
//! ```

use std::collections::HashMap;

use seccomp_bpf::data::{self, Endian};

use crate::asm::{Insn, Label};
use crate::ir::{Cond, Node, NodeId, Operand, Program, Word};

/// Emits the program for an ABI of the given byte order.
#[must_use]
pub fn emit(p: &Program, endian: Endian) -> Vec<Insn> {
    let mut e = Emitter {
        p,
        endian,
        out: Vec::new(),
        next_label: 0,
        entry: HashMap::new(),
        body: HashMap::new(),
    };
    e.run();
    e.out
}

struct Emitter<'a> {
    p: &'a Program,
    endian: Endian,
    out: Vec<Insn>,
    next_label: u32,
    entry: HashMap<NodeId, Label>,
    body: HashMap<NodeId, Label>,
}

impl Emitter<'_> {
    fn label(&mut self) -> Label {
        let l = Label(self.next_label);
        self.next_label += 1;
        l
    }

    fn entry(&mut self, n: NodeId) -> Label {
        if let Some(&l) = self.entry.get(&n) {
            return l;
        }
        let l = self.label();
        self.entry.insert(n, l);
        l
    }

    fn body(&mut self, n: NodeId) -> Label {
        if let Some(&l) = self.body.get(&n) {
            return l;
        }
        let l = self.label();
        self.body.insert(n, l);
        l
    }

    /// Where a test holding `from` in the accumulator jumps to reach `to`: past the
    /// load of `to` when the accumulator already holds its word.
    fn target(&mut self, from: Word, to: NodeId) -> Label {
        match self.p.node(to) {
            Node::Test { word, .. } if word == from => self.body(to),
            _ => self.entry(to),
        }
    }

    fn run(&mut self) {
        //   ld  [arch]
        //   jeq #A1, L1, next1
        // next1:
        //   jeq #A2, L2, bad
        let arches = self.p.arches.clone();
        let bad = self.entry(self.p.bad_arch);
        // An ABI whose numbers all lead to one node goes there straight from its
        // `jeq`, without loading `nr`; if that node is also `bad_arch`'s, the ABI
        // needs no `jeq` at all.
        let group_labels: Vec<Label> = arches
            .iter()
            .map(|d| match d.ranges[..] {
                [(_, only)] => self.entry(only),
                _ => self.label(),
            })
            .collect();
        let tested: Vec<usize> = (0..arches.len())
            .filter(|&i| group_labels[i] != bad)
            .collect();
        if !tested.is_empty() {
            self.out.push(Insn::Ld(data::ARCH));
        }
        for (n, &i) in tested.iter().enumerate() {
            let last = n + 1 == tested.len();
            let other = if last { bad } else { self.label() };
            self.out.push(Insn::Jump {
                cond: Cond::Eq,
                k: Operand::Imm(arches[i].audit_arch),
                jt: group_labels[i],
                jf: other,
            });
            if !last {
                self.out.push(Insn::Label(other));
            }
        }
        for (d, l) in arches.iter().zip(group_labels) {
            if d.ranges.len() == 1 {
                // Straight to its node (or not tested at all).
                continue;
            }
            //   ld [nr]
            //   (binary search)
            self.out.push(Insn::Label(l));
            self.out.push(Insn::Ld(data::NR));
            let here = self.label();
            self.search(&d.ranges, here);
        }
        // Children have smaller ids than their parents: decreasing order jumps forward.
        let mut reachable = vec![false; self.p.nodes.len()];
        let roots: Vec<NodeId> = self.entry.keys().copied().collect();
        for r in roots {
            self.mark(r, &mut reachable);
        }
        for id in (0..self.p.nodes.len()).rev() {
            if !reachable[id] {
                continue;
            }
            #[allow(clippy::cast_possible_truncation)]
            let n = NodeId(id as u32);
            self.node(n);
        }
    }

    fn mark(&self, n: NodeId, seen: &mut [bool]) {
        if std::mem::replace(&mut seen[n.0 as usize], true) {
            return;
        }
        if let Node::Test { then, other, .. } = self.p.node(n) {
            self.mark(then, seen);
            self.mark(other, seen);
        }
    }

    /// A binary search over `ranges` (at least one), placed at `here`: `jge` on the
    /// first number of the middle range, until one range is left, whose node is the
    /// jump target itself.
    fn search(&mut self, ranges: &[(u32, NodeId)], here: Label) {
        if ranges.len() == 1 {
            // A one-range dispatch: `here` is a plain jump to its node.
            let to = self.entry(ranges[0].1);
            self.out.push(Insn::Label(here));
            self.out.push(Insn::Ja(to));
            return;
        }
        self.out.push(Insn::Label(here));
        let mid = ranges.len() / 2;
        let (left, right) = ranges.split_at(mid);
        let mut side = |r: &[(u32, NodeId)]| {
            if r.len() == 1 {
                (self.entry(r[0].1), false)
            } else {
                (self.label(), true)
            }
        };
        let (l_label, l_more) = side(left);
        let (r_label, r_more) = side(right);
        self.out.push(Insn::Jump {
            cond: Cond::Ge,
            k: Operand::Imm(right[0].0),
            jt: r_label,
            jf: l_label,
        });
        if l_more {
            self.search(left, l_label);
        }
        if r_more {
            self.search(right, r_label);
        }
    }

    fn node(&mut self, n: NodeId) {
        match self.p.node(n) {
            Node::Ret(a) => {
                let entry = self.entry(n);
                self.out.push(Insn::Label(entry));
                self.out.push(Insn::Ret(a.to_ret()));
            }
            Node::Test {
                word,
                cond,
                k,
                then,
                other,
            } => {
                //   ld  [args[i].half]
                //   and #mask          (if masked)
                //   xor #0x80000000    (if signed order)
                // body:
                //   jCOND #k, then, other
                //
                // Every jump into this node is emitted before it (jumps go forward), so
                // if none needed the load, there is no entry to emit.
                if let Some(&entry) = self.entry.get(&n) {
                    self.out.push(Insn::Label(entry));
                    self.out
                        .push(Insn::Ld(data::arg_offset(word.arg, word.half, self.endian)));
                    if let Some(m) = word.mask {
                        self.out.push(Insn::And(m));
                    }
                    if word.flip {
                        self.out.push(Insn::Xor(0x8000_0000));
                    }
                }
                let body = self.body(n);
                self.out.push(Insn::Label(body));
                let jt = self.target(word, then);
                let jf = self.target(word, other);
                self.out.push(Insn::Jump { cond, k, jt, jf });
            }
        }
    }
}
