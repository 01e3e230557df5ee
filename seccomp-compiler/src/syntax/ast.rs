//! The syntax tree: what the user wrote, with spans, and no meaning yet.

use proc_macro2::{Span, TokenStream};

/// A whole policy.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The statements, in source order.
    pub statements: Vec<Statement>,
    /// The whole input, for errors about the whole program (its size).
    pub span: Span,
}

/// One `…;` of the policy.
#[derive(Clone, Debug)]
pub enum Statement {
    /// `default => action`
    Default(Span, Action),
    /// `bad_arch => action`
    BadArch(Span, Action),
    /// `unknown => action`
    Unknown(Span, Action),
    /// `arch: x86_64, x86`
    Arch(Span, Vec<Name>),
    /// `allow: no_exit, memory_errno`: lints this policy accepts.
    AllowLints(Span, Vec<Name>),
    /// A rule.
    Rule(Rule),
}

/// A name with its span.
#[derive(Clone, Debug)]
pub struct Name {
    /// The text.
    pub name: String,
    /// Where it is.
    pub span: Span,
}

/// `target (: predicate)? (=> action)?`
#[derive(Clone, Debug)]
pub struct Rule {
    /// What the rule applies to.
    pub target: Target,
    /// When it applies (`None`: always).
    pub predicate: Option<Predicate>,
    /// What it does (`None`: allow).
    pub action: Option<Action>,
}

/// The syscalls a rule applies to.
#[derive(Clone, Debug)]
pub enum Target {
    /// `read`, or `open?` (`optional`: only where the ABI has it).
    Syscall {
        /// The syscall's name.
        name: Name,
        /// Written with `?`.
        optional: bool,
    },
    /// `12`: a raw number, of the admitted ABI whose range holds it.
    Number(u32, Span),
    /// `@basic_io`
    Group(Name),
}

impl Target {
    /// Where the target is written.
    #[must_use]
    pub fn span(&self) -> Span {
        match self {
            Target::Syscall { name, .. } | Target::Group(name) => name.span,
            Target::Number(_, s) => *s,
        }
    }
}

/// A condition on the arguments.
#[derive(Clone, Debug)]
pub enum Predicate {
    /// `a || b`
    Or(Box<Predicate>, Box<Predicate>),
    /// `a && b`
    And(Box<Predicate>, Box<Predicate>),
    /// `!a`
    Not(Span, Box<Predicate>),
    /// `operand CMP value`
    Compare {
        /// The left side.
        operand: Operand,
        /// The operator.
        op: CmpOp,
        /// Its span.
        op_span: Span,
        /// The right side.
        value: Value,
    },
    /// `operand in [v, …]`
    In {
        /// The left side.
        operand: Operand,
        /// The values.
        values: Vec<Value>,
    },
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The operator as written.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// `fd`, `arg2`, `flags & 3`.
#[derive(Clone, Debug)]
pub struct Operand {
    /// The parameter's name or `argN`.
    pub arg: Name,
    /// Masks applied with `&`, left to right.
    pub masks: Vec<Value>,
}

/// A constant.
#[derive(Clone, Debug)]
pub enum Value {
    /// An integer literal, with its sign.
    Int(i128, Span),
    /// A Rust constant path (`libc::AF_UNIX`), evaluated by rustc for the target.
    Path(TokenStream, Span),
    /// `a | b`
    Or(Vec<Value>, Span),
    /// `$name`: a runtime parameter, bound when the filter is installed.
    Param(Name),
}

impl Value {
    /// Where the value is written.
    #[must_use]
    pub fn span(&self) -> Span {
        match self {
            Value::Int(_, s) | Value::Path(_, s) | Value::Or(_, s) => *s,
            Value::Param(n) => n.span,
        }
    }
}

/// What a matching rule does.
#[derive(Clone, Debug)]
pub struct Action {
    /// Which action.
    pub kind: ActionKind,
    /// Its span.
    pub span: Span,
}

/// The actions of the language.
#[derive(Clone, Debug)]
pub enum ActionKind {
    /// `allow`
    Allow,
    /// `kill`, `kill_process`
    KillProcess,
    /// `kill_thread`
    KillThread,
    /// `log`
    Log,
    /// `notify`
    Notify,
    /// `errno(NAME)` or `errno(N)`
    Errno(ErrnoRef),
    /// `trap` or `trap(N)`
    Trap(u16),
    /// `trace` or `trace(N)`
    Trace(u16),
}

/// The argument of `errno(…)`.
#[derive(Clone, Debug)]
pub enum ErrnoRef {
    /// `EPERM`
    Name(Name),
    /// `1`
    Number(i128, Span),
}

impl Policy {
    /// The names of the runtime parameters (`$name`), in order of first use.
    #[must_use]
    pub fn param_names(&self) -> Vec<String> {
        fn value(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Param(n) if !out.contains(&n.name) => out.push(n.name.clone()),
                Value::Or(parts, _) => parts.iter().for_each(|p| value(p, out)),
                _ => {}
            }
        }
        fn operand(o: &Operand, out: &mut Vec<String>) {
            o.masks.iter().for_each(|m| value(m, out));
        }
        fn predicate(p: &Predicate, out: &mut Vec<String>) {
            match p {
                Predicate::Or(a, b) | Predicate::And(a, b) => {
                    predicate(a, out);
                    predicate(b, out);
                }
                Predicate::Not(_, a) => predicate(a, out),
                Predicate::Compare {
                    operand: o,
                    value: v,
                    ..
                } => {
                    operand(o, out);
                    value(v, out);
                }
                Predicate::In { operand: o, values } => {
                    operand(o, out);
                    values.iter().for_each(|v| value(v, out));
                }
            }
        }
        let mut out = Vec::new();
        for s in &self.statements {
            if let Statement::Rule(Rule {
                predicate: Some(p), ..
            }) = s
            {
                predicate(p, &mut out);
            }
        }
        out
    }
}
