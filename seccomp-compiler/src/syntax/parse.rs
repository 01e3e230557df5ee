//! The parser. Errors are collected per statement: after a syntax error the
//! parser skips to the next `;` and goes on, so one build shows them all.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, LitInt, Token, token};

use super::ast::{
    Action, ActionKind, CmpOp, ErrnoRef, Name, Operand, Policy, Predicate, Rule, Statement, Target,
    Value,
};
use super::kw;
use crate::diag::{Diagnostic, Diagnostics};
use crate::suggest::did_you_mean;

/// Parses a policy from tokens (the macro front doors).
///
/// # Errors
///
/// Every syntax error, each at its token.
pub fn parse(tokens: TokenStream) -> Result<Policy, Vec<Diagnostic>> {
    let mut diags = Diagnostics::new();
    let parser = |input: ParseStream| Ok(policy(input, &mut diags));
    let policy = match parser.parse2(tokens) {
        Ok(p) => p,
        Err(e) => {
            diags.push(e.into());
            return Err(diags.into_vec());
        }
    };
    diags.propagate()?;
    Ok(policy)
}

/// Parses a policy from text (the CLI, and `file = "…"`).
///
/// # Errors
///
/// A lexing error, or every syntax error.
pub fn parse_str(src: &str) -> Result<Policy, Vec<Diagnostic>> {
    if let Some(at) = too_deeply_bracketed(src) {
        return Err(vec![Diagnostic::error(
            span_at(src, at),
            format!(
                "brackets nest more than {MAX_NESTING} levels deep here; \
                 no policy needs that many"
            ),
        )]);
    }
    let tokens: TokenStream = src.parse().map_err(|e: proc_macro2::LexError| {
        vec![Diagnostic::error(
            e.span(),
            format!("cannot read the policy: {e}"),
        )]
    })?;
    parse(tokens)
}

/// The byte offset of the first bracket in `src` that opens level
/// `MAX_NESTING + 1`, outside comments and string literals. Lexing text nested far
/// deeper (10⁴ parentheses) would exhaust the lexer's stack before any error.
fn too_deeply_bracketed(src: &str) -> Option<usize> {
    let b = src.as_bytes();
    let (mut i, mut depth) = (0, 0usize);
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 1;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// A span at byte `at` of `src`: the text before it, brackets blanked so that it
/// lexes, with one token at `at`. (Spans of text come only from lexing it.)
fn span_at(src: &str, at: usize) -> Span {
    let prefix: String = src[..at]
        .chars()
        .map(|c| if "()[]{}".contains(c) { ' ' } else { c })
        .collect();
    format!("{prefix}x")
        .parse::<TokenStream>()
        .ok()
        .and_then(|t| t.into_iter().last())
        .map_or_else(Span::call_site, |t| t.span())
}

fn policy(input: ParseStream, diags: &mut Diagnostics) -> Policy {
    let span = input.span();
    let mut statements = Vec::new();
    while !input.is_empty() {
        if input.peek(Token![;]) {
            let _ = input.parse::<Token![;]>();
            continue;
        }
        match statement(input) {
            Ok(s) => {
                statements.push(s);
                if input.is_empty() {
                    break;
                }
                if let Err(e) = input.parse::<Token![;]>() {
                    diags.push(Diagnostic::from(e).with_help("every statement ends with `;`"));
                    skip_statement(input);
                }
            }
            Err(e) => {
                diags.push(e.into());
                skip_statement(input);
            }
        }
    }
    Policy { statements, span }
}

/// Skips tokens up to and including the next `;`.
fn skip_statement(input: ParseStream) {
    let _ = input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tt, next)) = rest.token_tree() {
            rest = next;
            if let proc_macro2::TokenTree::Punct(p) = &tt
                && p.as_char() == ';'
            {
                break;
            }
        }
        Ok(((), rest))
    });
}

fn name(input: ParseStream) -> syn::Result<Name> {
    let id = Ident::parse_any(input)?;
    Ok(Name {
        name: id.unraw().to_string(),
        span: id.span(),
    })
}

fn statement(input: ParseStream) -> syn::Result<Statement> {
    if input.peek(Token![@]) {
        input.parse::<Token![@]>()?;
        // systemd's names have hyphens: `@system-service` is `system`, `-`, `service`.
        let mut group = name(input)?;
        while input.peek(Token![-]) && input.peek2(Ident::peek_any) {
            input.parse::<Token![-]>()?;
            let part = name(input)?;
            group.name.push('-');
            group.name.push_str(&part.name);
            group.span = group.span.join(part.span).unwrap_or(group.span);
        }
        return rule_rest(input, Target::Group(group));
    }
    if input.peek(LitInt) {
        let lit: LitInt = input.parse()?;
        let nr = lit.base10_parse::<u32>().map_err(|_| {
            syn::Error::new(
                lit.span(),
                format!("syscall number `{lit}` does not fit 32 bits"),
            )
        })?;
        return rule_rest(input, Target::Number(nr, lit.span()));
    }
    if !input.peek(Ident::peek_any) {
        return Err(input.error("expected a syscall name, `@group`, a syscall number, `default`, `bad_arch`, `unknown` or `arch`"));
    }
    let word = name(input)?;
    let span = word.span;
    if input.peek(Token![=>]) {
        let setting = match word.name.as_str() {
            kw::DEFAULT => Some(Statement::Default as fn(Span, Action) -> Statement),
            kw::BAD_ARCH => Some(Statement::BadArch as fn(Span, Action) -> Statement),
            kw::UNKNOWN => Some(Statement::Unknown as fn(Span, Action) -> Statement),
            _ => None,
        };
        if let Some(make) = setting {
            input.parse::<Token![=>]>()?;
            return Ok(make(span, action(input)?));
        }
    }
    if word.name == kw::ALLOW_LINTS && input.peek(Token![:]) {
        input.parse::<Token![:]>()?;
        let mut lints = vec![name(input)?];
        while input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
            lints.push(name(input)?);
        }
        return Ok(Statement::AllowLints(span, lints));
    }
    if word.name == kw::ARCH && input.peek(Token![:]) {
        input.parse::<Token![:]>()?;
        let mut arches = vec![name(input)?];
        while input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
            arches.push(name(input)?);
        }
        return Ok(Statement::Arch(span, arches));
    }
    let optional = if input.peek(Token![?]) {
        input.parse::<Token![?]>()?;
        true
    } else {
        false
    };
    rule_rest(
        input,
        Target::Syscall {
            name: word,
            optional,
        },
    )
}

fn rule_rest(input: ParseStream, target: Target) -> syn::Result<Statement> {
    let predicate = if input.peek(Token![:]) {
        input.parse::<Token![:]>()?;
        Some(or_predicate(input, 0)?)
    } else {
        None
    };
    let action = if input.peek(Token![=>]) {
        input.parse::<Token![=>]>()?;
        Some(action(input)?)
    } else {
        None
    };
    if !input.is_empty() && !input.peek(Token![;]) {
        let msg = if predicate.is_none() && action.is_none() {
            "expected `:` and a condition, `=>` and an action, or `;`"
        } else if action.is_none() {
            "expected `&&`, `||`, `=>` and an action, or `;`"
        } else {
            "expected `;`"
        };
        return Err(input.error(msg));
    }
    Ok(Statement::Rule(Rule {
        target,
        predicate,
        action,
    }))
}

/// How deep `!` and parentheses may nest in a predicate, and brackets in policy
/// text. Every later stage walks predicates recursively; this bound keeps them (and
/// rustc, which runs the macro) far from the end of their stacks. Chains of `||` and
/// `&&` are not nesting: any number of terms is read as a balanced tree.
pub const MAX_NESTING: usize = 64;

const TOO_DEEP: &str = "the condition nests more than";

fn too_deep(span: Span) -> syn::Error {
    syn::Error::new(
        span,
        format!(
            "{TOO_DEEP} {MAX_NESTING} levels of `!` and parentheses; write it flatter (`!` of `!` cancels)"
        ),
    )
}

/// `terms` joined by `join` into a tree of depth ⌈log₂ n⌉, leaves in order: the
/// same meaning as the left-nested chain, without its depth.
fn balanced(
    mut terms: Vec<Predicate>,
    join: fn(Box<Predicate>, Box<Predicate>) -> Predicate,
) -> Predicate {
    if terms.len() == 1 {
        return terms.pop().expect("one term");
    }
    let right = terms.split_off(terms.len() / 2);
    join(
        Box::new(balanced(terms, join)),
        Box::new(balanced(right, join)),
    )
}

fn or_predicate(input: ParseStream, depth: usize) -> syn::Result<Predicate> {
    let mut terms = vec![and_predicate(input, depth)?];
    while input.peek(Token![||]) {
        input.parse::<Token![||]>()?;
        terms.push(and_predicate(input, depth)?);
    }
    Ok(balanced(terms, Predicate::Or))
}

fn and_predicate(input: ParseStream, depth: usize) -> syn::Result<Predicate> {
    let mut terms = vec![unary_predicate(input, depth)?];
    while input.peek(Token![&&]) {
        input.parse::<Token![&&]>()?;
        terms.push(unary_predicate(input, depth)?);
    }
    Ok(balanced(terms, Predicate::And))
}

fn unary_predicate(input: ParseStream, depth: usize) -> syn::Result<Predicate> {
    if depth > MAX_NESTING {
        return Err(too_deep(input.span()));
    }
    if input.peek(Token![!]) && !input.peek(Token![!=]) {
        let bang: Token![!] = input.parse()?;
        return Ok(Predicate::Not(
            bang.span,
            Box::new(unary_predicate(input, depth + 1)?),
        ));
    }
    if input.peek(token::Paren) {
        // `(a || b)` is a predicate, `(flags & 3) == 0` an operand in parentheses.
        let fork = input.fork();
        let content;
        syn::parenthesized!(content in fork);
        match or_predicate(&content, depth + 1) {
            Ok(p) if content.is_empty() && cmp_op(&fork).is_none() => {
                use syn::parse::discouraged::Speculative;
                input.advance_to(&fork);
                return Ok(p);
            }
            // Too deep is final: the operand reading below would hide it.
            Err(e) if e.to_string().starts_with(TOO_DEEP) => return Err(e),
            _ => {}
        }
        let content;
        syn::parenthesized!(content in input);
        let operand = operand(&content)?;
        if !content.is_empty() {
            return Err(content.error("expected `)`"));
        }
        return comparison_rest(input, operand);
    }
    let operand = operand(input)?;
    comparison_rest(input, operand)
}

fn cmp_op(input: ParseStream) -> Option<CmpOp> {
    Some(if input.peek(Token![==]) {
        CmpOp::Eq
    } else if input.peek(Token![!=]) {
        CmpOp::Ne
    } else if input.peek(Token![<=]) {
        CmpOp::Le
    } else if input.peek(Token![>=]) {
        CmpOp::Ge
    } else if input.peek(Token![<]) {
        CmpOp::Lt
    } else if input.peek(Token![>]) {
        CmpOp::Gt
    } else {
        return None;
    })
}

fn comparison_rest(input: ParseStream, operand: Operand) -> syn::Result<Predicate> {
    if let Some(op) = cmp_op(input) {
        let op_span = input.span();
        match op {
            CmpOp::Eq => drop(input.parse::<Token![==]>()?),
            CmpOp::Ne => drop(input.parse::<Token![!=]>()?),
            CmpOp::Le => drop(input.parse::<Token![<=]>()?),
            CmpOp::Ge => drop(input.parse::<Token![>=]>()?),
            CmpOp::Lt => drop(input.parse::<Token![<]>()?),
            CmpOp::Gt => drop(input.parse::<Token![>]>()?),
        }
        let value = value(input)?;
        return Ok(Predicate::Compare {
            operand,
            op,
            op_span,
            value,
        });
    }
    if input.peek(Token![in]) {
        input.parse::<Token![in]>()?;
        let content;
        let bracket = syn::bracketed!(content in input);
        let mut values = Vec::new();
        while !content.is_empty() {
            values.push(value(&content)?);
            if content.is_empty() {
                break;
            }
            content.parse::<Token![,]>()?;
        }
        if values.is_empty() {
            return Err(syn::Error::new(
                bracket.span.join(),
                "`in []` never matches; list at least one value",
            ));
        }
        return Ok(Predicate::In { operand, values });
    }
    if input.peek(Token![|]) && !input.peek(Token![||]) {
        return Err(input.error("a mask made of several constants needs parentheses: `& (A | B)`"));
    }
    if input.peek(Token![=]) {
        return Err(input.error("expected a comparison operator; use `==` to compare"));
    }
    Err(input.error("expected a comparison operator (`==`, `!=`, `<`, `<=`, `>`, `>=`) or `in`"))
}

fn operand(input: ParseStream) -> syn::Result<Operand> {
    if !input.peek(Ident::peek_any) {
        return Err(input.error("expected a parameter name (such as `fd`) or `arg0`…`arg5`"));
    }
    let arg = name(input)?;
    let mut masks = Vec::new();
    while input.peek(Token![&]) && !input.peek(Token![&&]) {
        input.parse::<Token![&]>()?;
        masks.push(primary_value(input)?);
    }
    Ok(Operand { arg, masks })
}

fn value(input: ParseStream) -> syn::Result<Value> {
    let first = primary_value(input)?;
    if !input.peek(Token![|]) || input.peek(Token![||]) {
        return Ok(first);
    }
    let span = first.span();
    let mut parts = vec![first];
    while input.peek(Token![|]) && !input.peek(Token![||]) {
        input.parse::<Token![|]>()?;
        parts.push(primary_value(input)?);
    }
    Ok(Value::Or(parts, span))
}

fn int_literal(input: ParseStream, negative: bool) -> syn::Result<Value> {
    let lit: LitInt = input.parse()?;
    if !lit.suffix().is_empty() {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "integer suffix `{}` is not needed: the parameter's type decides",
                lit.suffix()
            ),
        ));
    }
    let v = lit
        .base10_parse::<u128>()
        .ok()
        .filter(|v| *v <= u128::from(u64::MAX))
        .ok_or_else(|| syn::Error::new(lit.span(), format!("`{lit}` does not fit 64 bits")))?;
    #[allow(clippy::cast_possible_wrap)]
    let v = v as i128;
    Ok(Value::Int(if negative { -v } else { v }, lit.span()))
}

fn primary_value(input: ParseStream) -> syn::Result<Value> {
    if input.peek(Token![-]) {
        input.parse::<Token![-]>()?;
        return int_literal(input, true);
    }
    if input.peek(Token![$]) {
        input.parse::<Token![$]>()?;
        return Ok(Value::Param(name(input)?));
    }
    if input.peek(LitInt) {
        return int_literal(input, false);
    }
    if input.peek(token::Paren) {
        let content;
        syn::parenthesized!(content in input);
        let v = value(&content)?;
        if !content.is_empty() {
            return Err(content.error("expected `)`"));
        }
        return Ok(v);
    }
    if input.peek(Ident::peek_any) || input.peek(Token![::]) {
        let path: syn::Path = input.call(syn::Path::parse_mod_style)?;
        let span = path
            .segments
            .last()
            .map_or_else(|| input.span(), |s| s.ident.span());
        return Ok(Value::Path(path.to_token_stream(), span));
    }
    Err(input.error("expected an integer, a constant path such as `libc::AF_UNIX`, or `(`"))
}

fn small_data(input: ParseStream, what: &str) -> syn::Result<u16> {
    if !input.peek(token::Paren) {
        return Ok(0);
    }
    let content;
    syn::parenthesized!(content in input);
    let lit: LitInt = content.parse()?;
    let v = lit.base10_parse::<u16>().map_err(|_| {
        syn::Error::new(
            lit.span(),
            format!("the data of `{what}` is 16 bits: 0 to 65535"),
        )
    })?;
    if !content.is_empty() {
        return Err(content.error("expected `)`"));
    }
    Ok(v)
}

fn action(input: ParseStream) -> syn::Result<Action> {
    if !input.peek(Ident::peek_any) {
        return Err(
            input.error("expected an action: `allow`, `kill`, `errno(EPERM)`, `trap`, `log`, …")
        );
    }
    let word = name(input)?;
    let span = word.span;
    let kind = match word.name.as_str() {
        "allow" => ActionKind::Allow,
        "kill" | "kill_process" => ActionKind::KillProcess,
        "kill_thread" => ActionKind::KillThread,
        "log" => ActionKind::Log,
        "notify" => ActionKind::Notify,
        "trap" => ActionKind::Trap(small_data(input, "trap")?),
        "trace" => ActionKind::Trace(small_data(input, "trace")?),
        "errno" => {
            if !input.peek(token::Paren) {
                return Err(syn::Error::new(
                    span,
                    "`errno` needs a value: `errno(EPERM)` or `errno(1)`",
                ));
            }
            let content;
            syn::parenthesized!(content in input);
            let r = if content.peek(LitInt) || content.peek(Token![-]) {
                match int_literal(&content, false).or_else(|_| {
                    content.parse::<Token![-]>()?;
                    int_literal(&content, true)
                })? {
                    Value::Int(v, s) => ErrnoRef::Number(v, s),
                    _ => unreachable!("int_literal returns Value::Int"),
                }
            } else {
                ErrnoRef::Name(name(&content)?)
            };
            if !content.is_empty() {
                return Err(content.error("expected `)`"));
            }
            ActionKind::Errno(r)
        }
        other => {
            let mut msg = format!("unknown action `{other}`");
            if let Some(s) = did_you_mean(other, kw::ACTIONS.iter().copied()) {
                msg.push_str(&format!("; did you mean `{s}`?"));
            }
            return Err(syn::Error::new(
                span,
                msg + "\n  = help: the actions are `allow`, `kill`, `kill_process`, `kill_thread`, `errno(NAME)`, `trap`, `trace`, `log` and `notify`",
            ));
        }
    };
    Ok(Action { kind, span })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(src: &str) -> Policy {
        parse_str(src).unwrap_or_else(|e| {
            panic!(
                "{src}: {:?}",
                e.iter().map(|d| &d.message).collect::<Vec<_>>()
            )
        })
    }

    fn errors(src: &str) -> Vec<String> {
        parse_str(src)
            .expect_err("should fail")
            .into_iter()
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn the_seed_policy_parses() {
        let p = ok("read: fd == 0; write: fd == 1; exit_group; default => kill;");
        assert_eq!(p.statements.len(), 4);
    }

    #[test]
    fn precedence_follows_rust() {
        let p = ok("write: fd == 1 || fd == 2 && count < 10;");
        let Statement::Rule(r) = &p.statements[0] else {
            panic!()
        };
        assert!(
            matches!(r.predicate, Some(Predicate::Or(_, ref b)) if matches!(**b, Predicate::And(..)))
        );
    }

    #[test]
    fn parenthesised_operands_and_predicates() {
        ok("openat: (flags & 3) == 0; openat: (flags == 0 || flags == 1) && !(dfd < 0);");
        ok("mmap: prot & (1 | 4) != 5 => errno(EPERM);");
        ok("socket: domain in [1, libc::AF_INET, -3] => errno(1);");
        ok(
            "r#break; open?; 12 => trap(7); @basic_io; arch: x86_64, x32; bad_arch => kill_thread; unknown => errno(ENOSYS);",
        );
    }

    #[test]
    fn every_statement_error_is_reported() {
        let e = errors("read: fd = 0; write: fd == ; exit_group => frobnicate;");
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[0].contains("use `==`"), "{e:?}");
        assert!(e[2].contains("unknown action `frobnicate`"), "{e:?}");
    }

    #[test]
    fn missing_semicolon() {
        let e = errors("read write;");
        assert!(e[0].contains("expected"), "{e:?}");
    }

    #[test]
    fn data_limits() {
        assert!(errors("read => trap(65536);")[0].contains("16 bits"));
        ok("read => trap(65535); write => trace(0);");
        assert!(errors("read: fd == 0x1_0000_0000_0000_0000;")[0].contains("does not fit 64 bits"));
    }
}
