//! Assembly with symbolic labels, and the one place that owns jump layout.
//!
//! **Problem.** Classic BPF jumps only forward; a conditional jump reaches at most
//! 255 instructions ahead (`jt`/`jf` are 8 bits), `ja` reaches 2³² − 1.
//!
//! **Method.** [`assemble`] takes the instructions in their final order, with label
//! definitions between them. It computes every position, and wherever a conditional
//! branch would pass 255 it inserts a trampoline right after that jump: a `ja` to the
//! far target, which the branch then reaches with offset 0 or 1. Insertions only push
//! targets farther, so it repeats until nothing changes; each branch gets at most one
//! trampoline, so this ends.
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

    // far[i] = (jt needs a trampoline, jf needs a trampoline)
    let mut far = vec![(false, false); code.len()];
    let mut pos = vec![0usize; code.len()];
    loop {
        let mut p = 0;
        for (i, f) in far.iter().enumerate() {
            pos[i] = p;
            p += 1 + usize::from(f.0) + usize::from(f.1);
        }
        let mut changed = false;
        for (i, insn) in code.iter().enumerate() {
            if let Insn::Jump { jt, jf, .. } = insn {
                let (t, f) = (pos[target(jt)?], pos[target(jf)?]);
                if t <= pos[i] || f <= pos[i] {
                    return Err(format!("backward jump from instruction {i}"));
                }
                let (t_far, f_far) = (t - pos[i] - 1 > 255, f - pos[i] - 1 > 255);
                if (t_far && !far[i].0) || (f_far && !far[i].1) {
                    far[i] = (far[i].0 || t_far, far[i].1 || f_far);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }

    let mut out = Vec::with_capacity(code.len());
    for (i, insn) in code.iter().enumerate() {
        let here = pos[i];
        let imm = |k: u32| Operand::Imm(k);
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
            Insn::Jump { cond, k, jt, jf } => {
                let code = match cond {
                    Cond::Eq => op::JEQ_K,
                    Cond::Gt => op::JGT_K,
                    Cond::Ge => op::JGE_K,
                    Cond::Set => op::JSET_K,
                };
                let (far_t, far_f) = far[i];
                let mut tramps = Vec::new();
                let mut offset = |label: Label, is_far: bool| -> Result<u8, String> {
                    if is_far {
                        tramps.push(label);
                        Ok(u8::try_from(tramps.len() - 1).expect("at most two trampolines"))
                    } else {
                        u8::try_from(pos[target(&label)?] - here - 1).map_err(|e| e.to_string())
                    }
                };
                let (t_off, f_off) = (offset(jt, far_t)?, offset(jf, far_f)?);
                out.push(Instr {
                    code,
                    jt: t_off,
                    jf: f_off,
                    k,
                });
                for (n, label) in tramps.into_iter().enumerate() {
                    let at = here + 1 + n;
                    let k =
                        u32::try_from(pos[target(&label)?] - at - 1).map_err(|e| e.to_string())?;
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
