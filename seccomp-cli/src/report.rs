//! Reading a policy, compiling it, and reporting its errors rustc-style.

use std::io::{IsTerminal, Read, Write};
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
use codespan_reporting::term::{self, Chars, Config};
use proc_macro2::{LineColumn, Span};
use seccomp_bpf::SockFilter;
use seccomp_compiler::{Arch, Diagnostic, Program, resolve, resolved, syntax};

use crate::Failure;

pub(crate) struct Source {
    pub(crate) name: String,
    pub(crate) text: String,
}

pub(crate) fn read_input(path: &str) -> Result<(String, Vec<u8>), Failure> {
    if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::Error(format!("cannot read standard input: {e}")))?;
        Ok(("<stdin>".to_owned(), bytes))
    } else {
        let bytes = std::fs::read(path)
            .map_err(|e| Failure::Error(format!("cannot read `{path}`: {e}")))?;
        Ok((path.to_owned(), bytes))
    }
}

pub(crate) fn read_policy(path: &str) -> Result<Source, Failure> {
    let (name, bytes) = read_input(path)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::Error(format!("`{name}` is not UTF-8 text")))?;
    Ok(Source { name, text })
}

pub(crate) struct Compiled {
    pub(crate) policy: resolved::Policy,
    pub(crate) program: Program,
    pub(crate) bpf: Vec<SockFilter>,
}

/// Parses, resolves and compiles, reporting every diagnostic of the first stage
/// that has any.
pub(crate) fn compile(src: &Source, arch: Arch) -> Result<Compiled, Failure> {
    try_compile(src, arch).map_err(|items| report_items(src, arch, &items))
}

/// Compiles for `arch` without printing: the program, or the first problem as
/// `FILE:LINE:COLUMN: message` (with the help after ` — `).
pub(crate) fn first_error(src: &Source, arch: Arch) -> Result<Compiled, String> {
    try_compile(src, arch).map_err(|items| {
        let first = &items[0];
        let before = &src.text[..first.range.start];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        let help = first
            .help
            .as_ref()
            .map_or_else(String::new, |h| format!(" — help: {h}"));
        let more = match items.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        format!(
            "{}:{line}:{column}: {}{help}{more}",
            src.name, first.message
        )
    })
}

/// Parses, resolves and compiles; on failure, every problem of the first stage
/// that has any, sorted by position.
fn try_compile(src: &Source, arch: Arch) -> Result<Compiled, Vec<Item>> {
    let fail = |diags: Vec<Diagnostic>| {
        let mut items: Vec<Item> = diags.iter().map(|d| Item::new(&src.text, d)).collect();
        items.sort_by_key(|i| (i.range.start, i.range.end));
        items
    };
    let ast = syntax::parse_str(&src.text).map_err(fail)?;
    let policy = resolve::resolve(&ast, arch).map_err(fail)?;
    let lints = seccomp_compiler::lints::check(&ast, &policy);
    if !lints.is_empty() {
        return Err(fail(lints));
    }
    let program = seccomp_compiler::compile_resolved(&policy).map_err(fail)?;
    // Values only the macro (Rust constants) or the runtime (parameters) know.
    let mut unknown: Vec<Item> = program
        .symbols
        .iter()
        .map(|s| Item {
            range: widen_to_path(&src.text, span_range(&src.text, s.span)),
            message: "Rust constants can only be evaluated by the `seccomp!` macro; write the number here"
                .to_owned(),
            help: None,
        })
        .chain(program.params.iter().map(|p| Item {
            range: widen_to_dollar(&src.text, span_range(&src.text, p.span)),
            message: format!(
                "`${}` is a runtime parameter: seccomp-rt binds it at install time; seccompc cannot compile it",
                p.name
            ),
            help: Some("write the number here to compile the policy with seccompc".to_owned()),
        }))
        .collect();
    if let Some(bpf) = program.to_sock_filters().filter(|_| unknown.is_empty()) {
        return Ok(Compiled {
            policy,
            program,
            bpf,
        });
    }
    if unknown.is_empty() {
        let d = Diagnostic::internal(
            policy.span,
            "the program has symbolic constants the policy does not name",
        );
        unknown.push(Item::new(&src.text, &d));
    }
    unknown.sort_by_key(|i| (i.range.start, i.range.end));
    unknown.dedup_by(|a, b| a.range == b.range && a.message == b.message);
    Err(unknown)
}

/// A diagnostic located in the policy text.
struct Item {
    range: Range<usize>,
    message: String,
    help: Option<String>,
}

impl Item {
    fn new(text: &str, d: &Diagnostic) -> Item {
        Item {
            range: span_range(text, d.span),
            message: d.message.clone(),
            help: d.help.clone(),
        }
    }
}

/// The compiler points at a path's last segment (`AF_UNIX`); show all of it
/// (`libc::AF_UNIX`).
fn widen_to_path(text: &str, mut range: Range<usize>) -> Range<usize> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    while text[..range.start].ends_with("::") {
        let before = &text[..range.start - 2];
        let segment = before.len() - before.trim_end_matches(is_ident).len();
        range.start -= 2 + segment;
    }
    range
}

/// `$name`, not just `name`.
fn widen_to_dollar(text: &str, mut range: Range<usize>) -> Range<usize> {
    if text[..range.start].ends_with('$') {
        range.start -= 1;
    }
    range
}

/// Prints every diagnostic, rustc-style.
fn report_items(src: &Source, arch: Arch, items: &[Item]) -> Failure {
    let file = SimpleFile::new(src.name.as_str(), src.text.as_str());
    let config = Config {
        chars: Chars::ascii(),
        ..Config::default()
    };
    let reports: Vec<Report<()>> = items
        .iter()
        .map(|i| {
            let mut r = Report::error().with_message(&i.message).with_labels(vec![
                Label::primary((), i.range.clone()).with_message(&i.message),
            ]);
            if let Some(help) = &i.help {
                r = r.with_notes(vec![format!("help: {help}")]);
            }
            r
        })
        .collect();
    let n = items.len();
    let summary = format!(
        "error: could not compile `{}` for {arch} due to {n} previous error{}\n",
        src.name,
        if n == 1 { "" } else { "s" }
    );
    if std::io::stderr().is_terminal() {
        let stream = StandardStream::stderr(ColorChoice::Auto);
        let mut lock = stream.lock();
        for r in &reports {
            let _ = term::emit_to_write_style(&mut lock, &config, &file, r);
        }
        let _ = lock.write_all(summary.as_bytes());
    } else {
        let mut text = String::new();
        for r in &reports {
            let _ = term::emit_to_string(&mut text, &config, &file, r);
        }
        text.push_str(&summary);
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
    Failure::Reported
}

/// The byte range of a span of text parsed by `syntax::parse_str`.
///
/// Spans that belong to no token (syn's "unexpected end of input") point at
/// the end of the policy.
fn span_range(text: &str, span: Span) -> Range<usize> {
    let (start, end) = (span.start(), span.end());
    if start == end && start == (LineColumn { line: 1, column: 0 }) {
        let eof = text.trim_end().len();
        return eof..eof;
    }
    let s = byte_offset(text, start);
    s..byte_offset(text, end).max(s)
}

/// proc-macro2 lines count from 1, columns from 0 in characters.
fn byte_offset(text: &str, at: LineColumn) -> usize {
    let mut line_start = 0;
    for _ in 1..at.line {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    let line = text[line_start..].split('\n').next().unwrap_or("");
    line_start
        + line
            .char_indices()
            .nth(at.column)
            .map_or(line.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "read;\n/* é → */ opnat;\n";
        let at = byte_offset(
            text,
            LineColumn {
                line: 2,
                column: 10,
            },
        );
        assert!(text[at..].starts_with("opnat"));
        assert_eq!(
            byte_offset(text, LineColumn { line: 9, column: 0 }),
            text.len()
        );
    }

    #[test]
    fn paths_and_parameters_are_shown_whole() {
        let text = "fd == ::libc::AF_UNIX || fd == $log";
        let last = text.find("AF_UNIX").unwrap();
        assert_eq!(widen_to_path(text, last..last + 7), 6..21);
        let name = text.find("log").unwrap();
        assert_eq!(widen_to_dollar(text, name..name + 3), name - 1..name + 3);
        assert_eq!(widen_to_path("fd == X", 6..7), 6..7);
    }
}
