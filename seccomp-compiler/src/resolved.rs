//! A policy with every name resolved for one target: numbers, argument slots,
//! widths, signedness and errno values.

use std::collections::BTreeMap;

use proc_macro2::{Span, TokenStream};
pub use seccomp_bpf::ret::Action;

use crate::Arch;
pub use crate::syntax::ast::CmpOp;

/// The resolved policy: one [`AbiRules`] per admitted ABI, the target's first.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The admitted ABIs; `abis[0]` is the one the filter is compiled for.
    pub abis: Vec<AbiRules>,
    /// What every other ABI gets.
    pub bad_arch: Action,
    /// Constants only rustc can evaluate, referred to by [`Value::Sym`].
    pub symbols: Vec<Symbol>,
    /// Runtime parameters (`$name`), referred to by [`Value::Param`], in order of
    /// first use.
    pub params: Vec<Param>,
    /// The whole policy, for errors about the whole program.
    pub span: Span,
}

/// The rules for one ABI.
#[derive(Clone, Debug)]
pub struct AbiRules {
    /// The ABI.
    pub arch: Arch,
    /// What a syscall without a matching rule gets.
    pub default: Action,
    /// What a number absent from the ABI's table gets.
    pub unknown: Action,
    /// The rules of each syscall the policy names, by number.
    pub syscalls: BTreeMap<u32, SyscallRules>,
}

/// The rules of one syscall, in source order; the first that matches decides.
#[derive(Clone, Debug)]
pub struct SyscallRules {
    /// The syscall's name, if the ABI's table has the number.
    pub name: Option<&'static str>,
    /// The rules.
    pub rules: Vec<Rule>,
}

/// One rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// `None`: the rule matches every call.
    pub predicate: Option<Predicate>,
    /// What a matching call gets.
    pub action: Action,
    /// The rule's target, for diagnostics.
    pub span: Span,
}

/// A condition on the arguments.
#[derive(Clone, Debug)]
pub enum Predicate {
    /// Either.
    Or(Box<Predicate>, Box<Predicate>),
    /// Both.
    And(Box<Predicate>, Box<Predicate>),
    /// Not.
    Not(Box<Predicate>),
    /// One comparison.
    Compare(Compare),
}

/// `args[arg]`, seen the way the kernel reads it, masked, compared with a value.
#[derive(Clone, Debug)]
pub struct Compare {
    /// The `seccomp_data.args[]` index.
    pub arg: u8,
    /// How many low bits of the register the comparison sees, and their sign.
    pub view: View,
    /// `& mask`, applied to the seen bits.
    pub mask: Option<Value>,
    /// The operator.
    pub op: CmpOp,
    /// The right side, already reduced to `view.bits` bits.
    pub value: Value,
}

/// The part of an argument register a comparison sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct View {
    /// 16, 32 or 64.
    pub bits: u8,
    /// Whether `<`/`>` compare as two's complement.
    pub signed: bool,
}

impl View {
    /// Keeps the bits the view sees.
    #[must_use]
    pub fn truncate(self, raw: u64) -> u64 {
        if self.bits >= 64 {
            raw
        } else {
            raw & ((1u64 << self.bits) - 1)
        }
    }

    /// The seen bits as a number, sign-extended when the view is signed.
    #[must_use]
    pub fn interpret(self, raw: u64) -> i128 {
        let v = self.truncate(raw);
        if self.signed && self.bits > 0 && v >> (self.bits - 1) & 1 == 1 {
            i128::from(v) - (1i128 << self.bits)
        } else {
            i128::from(v)
        }
    }
}

/// A constant operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// Known now, reduced to the view's bits.
    Imm(u64),
    /// Known only to rustc: `symbols[i]`.
    Sym(u32),
    /// Known only when the filter is installed: `params[i]`.
    Param(u32),
}

/// A runtime parameter: its name and the values every use of it admits.
#[derive(Clone, Debug)]
pub struct Param {
    /// The name, without `$`.
    pub name: String,
    /// Where it is first used.
    pub span: Span,
    /// The smallest value every use admits.
    pub min: i128,
    /// The largest value every use admits.
    pub max: i128,
}

/// A constant expression only rustc can evaluate (a Rust path, or an `|` with one).
#[derive(Clone, Debug)]
pub struct Symbol {
    /// An expression of type `i128`.
    pub expr: TokenStream,
    /// Where it is written.
    pub span: Span,
    /// The range the parameter's type admits.
    pub min: i128,
    /// The range the parameter's type admits.
    pub max: i128,
    /// What it is compared with, for the error when it does not fit.
    pub what: String,
}
