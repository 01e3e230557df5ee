//! Assembly with symbolic labels, and the one place that owns jump layout.
//!
//! **Problem.** Classic BPF jumps only forward; a conditional jump reaches at most
//! 255 instructions ahead (`jt`/`jf` are 8 bits), `ja` reaches 2³² − 1.
//!
//! **Method.** [`assemble`] takes the instructions in their final order, with label
//! definitions between them. A conditional branch that would pass 255 goes through a
//! trampoline — a `ja` to the far target placed right after some conditional jump —
//! reusing one to the same target within reach if there is one (a chain of tests
//! that all fail to the same far return shares one trampoline per 255 instructions),
//! else one of its own, right after it. One pass from the end places them all (a
//! trampoline moves only what follows its jump, whose distances it does not change);
//! then every position is computed and every distance checked, and should a branch
//! still be out of reach, that round adds its trampoline and starts over, until none
//! is added (trampolines are never removed and each branch adds at most one, so this
//! ends).
//!
//! **Invariants after assembly.** Every jump is forward and in range; every label
//! used is defined at an instruction; nothing falls through into a trampoline (it
//! follows a conditional jump, which always jumps).

use std::collections::HashMap;

use seccomp_bpf::op;

use crate::ir::{Cond, Operand};
use crate::program::Instr;

/// A jump target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Label(pub u32);

/// An instruction with symbolic targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Insn {
    /// Defines a label at the next instruction.
    Label(Label),
    /// `ld [offset]`
    Ld(u32),
    /// `and #k`
    And(Operand),
    /// `xor #k`
    Xor(u32),
    /// `jCOND #k, jt, jf`
    Jump {
        /// The condition.
        cond: Cond,
        /// The operand.
        k: Operand,
        /// Where to go when it holds.
        jt: Label,
        /// Where to go when not.
        jf: Label,
    },
    /// `ja label`
    Ja(Label),
    /// `ret #k`
    Ret(u32),
}

/// The trampolines each jump needs, in one pass from the last instruction back.
///
/// Inserting a trampoline right after jump `i` moves only what follows `i`, and
/// every jump goes forward, so a jump after `i` keeps its distances: positions are
/// counted from the end of the program, where everything after the jump being
/// placed is already final. A far branch shares a trampoline to its target placed
/// after a later jump if one is within reach, else gets its own; a new trampoline
/// pushes the jump's other branch one farther, so both are checked again.
fn place_trampolines(
    code: &[Insn],
    target: &dyn Fn(&Label) -> Result<usize, String>,
) -> Result<Vec<Vec<Label>>, String> {
    let mut tramps: Vec<Vec<Label>> = vec![Vec::new(); code.len()];
    // rpos[k]: instructions from instruction k (its trampolines included) to the end.
    let mut rpos = vec![0usize; code.len() + 1];
    // The trampolines placed so far, by target: their distances from the end.
    let mut by_target: HashMap<Label, Vec<usize>> = HashMap::new();
    for i in (0..code.len()).rev() {
        rpos[i] = rpos[i + 1] + 1;
        let Insn::Jump { jt, jf, .. } = code[i] else {
            continue;
        };
        let mut added = true;
        while added {
            added = false;
            for label in [jt, jf] {
                let t = target(&label)?;
                if t <= i {
                    return Err(format!("backward jump from instruction {i}"));
                }
                let reach = |r: usize| r < rpos[i] && rpos[i] - r - 1 <= 255;
                let shared = by_target
                    .get(&label)
                    .is_some_and(|rs| rs.iter().any(|&r| reach(r)));
                if reach(rpos[t]) || shared || tramps[i].contains(&label) {
                    continue;
                }
                tramps[i].push(label);
                rpos[i] += 1;
                added = true;
            }
        }
        let n = tramps[i].len();
        for (k, label) in tramps[i].iter().enumerate() {
            by_target
                .entry(*label)
                .or_default()
                .push(rpos[i + 1] + n - k);
        }
    }
    Ok(tramps)
}

/// Resolves labels into offsets, adding trampolines where a branch is too far.
///
/// # Errors
///
/// A label used but never defined, or a backward jump: compiler bugs.
pub fn assemble(insns: &[Insn]) -> Result<Vec<Instr>, String> {
    let mut code: Vec<Insn> = Vec::with_capacity(insns.len());
    let mut label_at: HashMap<Label, usize> = HashMap::new();
    for i in insns {
        match i {
            Insn::Label(l) => {
                label_at.insert(*l, code.len());
            }
            other => code.push(*other),
        }
    }
    let target = |l: &Label| {
        label_at
            .get(l)
            .copied()
            .filter(|&t| t < code.len())
            .ok_or_else(|| format!("label {l:?} is not defined at an instruction"))
    };

    // tramps[i]: the targets of the `ja` trampolines placed right after jump i.
    let mut tramps = place_trampolines(&code, &target)?;
    // Where each branch goes: (jump index, is jf) → position of its target.
    let mut via: HashMap<(usize, bool), usize> = HashMap::new();
    let mut pos = vec![0usize; code.len()];
    loop {
        let mut p = 0;
        for (i, t) in tramps.iter().enumerate() {
            pos[i] = p;
            p += 1 + t.len();
        }
        // Every trampoline, by target: its position. A far branch takes the first one
        // to its target within reach, else gets its own; trampolines are never
        // removed, so this ends, and the last round checks every distance.
        let mut by_target: HashMap<Label, Vec<usize>> = HashMap::new();
        for (i, ts) in tramps.iter().enumerate() {
            for (n, l) in ts.iter().enumerate() {
                by_target.entry(*l).or_default().push(pos[i] + 1 + n);
            }
        }
        via.clear();
        let mut added = false;
        for i in (0..code.len()).rev() {
            let Insn::Jump { jt, jf, .. } = code[i] else {
                continue;
            };
            for (label, is_jf) in [(jt, false), (jf, true)] {
                let t = pos[target(&label)?];
                if t <= pos[i] {
                    return Err(format!("backward jump from instruction {i}"));
                }
                if t - pos[i] - 1 <= 255 {
                    via.insert((i, is_jf), t);
                    continue;
                }
                let near = by_target.get(&label).and_then(|ps| {
                    ps.iter()
                        .copied()
                        .find(|&q| q > pos[i] && q - pos[i] - 1 <= 255)
                });
                match near {
                    Some(q) => {
                        via.insert((i, is_jf), q);
                    }
                    None => {
                        debug_assert!(false, "place_trampolines missed a branch of jump {i}");
                        tramps[i].push(label);
                        added = true;
                        break;
                    }
                }
            }
            if added {
                // Positions moved: start over, so that the jumps before this one can
                // share the new trampoline.
                break;
            }
        }
        if !added {
            break;
        }
    }

    let mut out = Vec::with_capacity(code.len());
    for (i, insn) in code.iter().enumerate() {
        let here = pos[i];
        let imm = Operand::Imm;
        match *insn {
            Insn::Label(_) => unreachable!("labels were removed"),
            Insn::Ld(off) => out.push(Instr {
                code: op::LD_W_ABS,
                jt: 0,
                jf: 0,
                k: imm(off),
            }),
            Insn::And(k) => out.push(Instr {
                code: op::ALU_AND_K,
                jt: 0,
                jf: 0,
                k,
            }),
            Insn::Xor(k) => out.push(Instr {
                code: op::ALU_XOR_K,
                jt: 0,
                jf: 0,
                k: imm(k),
            }),
            Insn::Ret(k) => out.push(Instr {
                code: op::RET_K,
                jt: 0,
                jf: 0,
                k: imm(k),
            }),
            Insn::Ja(l) => {
                let t = pos[target(&l)?];
                let k = u32::try_from(t.checked_sub(here + 1).ok_or("backward ja")?)
                    .map_err(|e| e.to_string())?;
                out.push(Instr {
                    code: op::JA_K,
                    jt: 0,
                    jf: 0,
                    k: imm(k),
                });
            }
            Insn::Jump { cond, k, .. } => {
                let code = match cond {
                    Cond::Eq => op::JEQ_K,
                    Cond::Gt => op::JGT_K,
                    Cond::Ge => op::JGE_K,
                    Cond::Set => op::JSET_K,
                };
                let offset = |is_jf: bool| -> Result<u8, String> {
                    let t = via[&(i, is_jf)];
                    u8::try_from(t - here - 1)
                        .map_err(|_| format!("branch of instruction {i} out of reach"))
                };
                out.push(Instr {
                    code,
                    jt: offset(false)?,
                    jf: offset(true)?,
                    k,
                });
                for (n, label) in tramps[i].iter().enumerate() {
                    let at = here + 1 + n;
                    let k =
                        u32::try_from(pos[target(label)?] - at - 1).map_err(|e| e.to_string())?;
                    out.push(Instr {
                        code: op::JA_K,
                        jt: 0,
                        jf: 0,
                        k: imm(k),
                    });
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn far_program(gap: usize) -> Vec<Insn> {
        let (t, f) = (Label(0), Label(1));
        let mut v = vec![
            Insn::Ld(0),
            Insn::Jump {
                cond: Cond::Eq,
                k: Operand::Imm(1),
                jt: t,
                jf: f,
            },
            Insn::Label(f),
        ];
        v.extend(std::iter::repeat_n(Insn::Ret(0), gap));
        v.push(Insn::Label(t));
        v.push(Insn::Ret(0x7fff_0000));
        v
    }

    #[test]
    fn a_jump_of_255_needs_no_trampoline() {
        let out = assemble(&far_program(255)).unwrap();
        assert_eq!(out.len(), 2 + 255 + 1);
        assert_eq!((out[1].jt, out[1].jf), (255, 0));
    }

    #[test]
    fn a_jump_of_256_goes_through_a_trampoline() {
        let out = assemble(&far_program(256)).unwrap();
        assert_eq!(out.len(), 2 + 1 + 256 + 1);
        assert_eq!((out[1].jt, out[1].jf), (0, 1));
        assert_eq!(out[2].code, op::JA_K);
        assert_eq!(out[2].k, Operand::Imm(256));
    }

    #[test]
    fn undefined_labels_are_reported() {
        assert!(assemble(&[Insn::Ja(Label(9)), Insn::Ret(0)]).is_err());
    }
}
