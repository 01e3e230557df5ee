//! `seccompc`: compile, disassemble and simulate seccomp policy files for any Linux ABI.
//!
//! The policy language is the one of `seccomp_rt::seccomp!`, parsed by the same
//! compiler; its diagnostics are rendered rustc-style with codespan-reporting.
#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::io::{IsTerminal, Read, Write};
use std::ops::Range;
use std::process::ExitCode;

use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
use codespan_reporting::term::{self, Chars, Config};
use proc_macro2::{LineColumn, Span};
use seccomp_bpf::disasm::Disasm;
use seccomp_bpf::ret::Action;
use seccomp_bpf::{Endian, SeccompData, SockFilter, cache, check, simulate_counted};
use seccomp_compiler::{Arch, Diagnostic, Program, resolve, resolved, syntax};

fn main() -> ExitCode {
    let result = match parse_args(std::env::args().skip(1)) {
        Ok(Parsed::Run(opts)) => run(&opts),
        Ok(Parsed::Help(text)) => emit(text.as_bytes()),
        Ok(Parsed::Version) => emit(format!("seccompc {}\n", env!("CARGO_PKG_VERSION")).as_bytes()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg, command)) => {
            let help = command.map_or_else(
                || "seccompc --help".to_owned(),
                |c| format!("seccompc {} --help", c.name()),
            );
            eprintln!("error: {msg}\n\nFor more information, try `{help}`.");
            ExitCode::from(2)
        }
        Err(Failure::Error(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
        Err(Failure::Reported) => ExitCode::FAILURE,
    }
}

/// Why a run stopped.
enum Failure {
    /// The command line is wrong (exit status 2).
    Usage(String, Option<Command>),
    /// Printed as `error: …` (exit status 1).
    Error(String),
    /// Already printed: the policy's diagnostics (exit status 1).
    Reported,
}

// ---------------------------------------------------------------------------
// Usage texts

fn host_arch() -> Option<Arch> {
    let name = if cfg!(all(target_arch = "x86_64", target_pointer_width = "64")) {
        "x86_64"
    } else if cfg!(all(target_arch = "x86_64", target_pointer_width = "32")) {
        "x32"
    } else if cfg!(target_arch = "x86") {
        "x86"
    } else if cfg!(all(target_arch = "aarch64", target_endian = "little")) {
        "aarch64"
    } else if cfg!(all(target_arch = "arm", target_endian = "little")) {
        "arm"
    } else if cfg!(target_arch = "riscv64") {
        "riscv64"
    } else if cfg!(all(target_arch = "powerpc64", target_endian = "little")) {
        "ppc64le"
    } else if cfg!(target_arch = "powerpc64") {
        "ppc64"
    } else if cfg!(target_arch = "powerpc") {
        "ppc"
    } else if cfg!(target_arch = "s390x") {
        "s390x"
    } else if cfg!(any(target_arch = "mips", target_arch = "mips32r6")) {
        if cfg!(target_endian = "little") {
            "mipsel"
        } else {
            "mips"
        }
    } else if cfg!(any(target_arch = "mips64", target_arch = "mips64r6")) {
        match (
            cfg!(target_pointer_width = "32"),
            cfg!(target_endian = "little"),
        ) {
            (true, true) => "mipsel64n32",
            (true, false) => "mips64n32",
            (false, true) => "mipsel64",
            (false, false) => "mips64",
        }
    } else if cfg!(target_arch = "loongarch64") {
        "loongarch64"
    } else if cfg!(target_arch = "m68k") {
        "m68k"
    } else {
        return None;
    };
    Arch::from_name(name)
}

fn arch_option_default() -> String {
    match host_arch() {
        Some(a) => format!("default: {a}, this host's ABI"),
        None => "required: this host's ABI is not one seccompc knows".to_owned(),
    }
}

/// Every ABI name, wrapped to fit a terminal.
fn abi_list(indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for (i, a) in Arch::ALL.iter().enumerate() {
        let item = if i + 1 == Arch::ALL.len() {
            a.as_str().to_owned()
        } else {
            format!("{a},")
        };
        if !line.is_empty() && indent.len() + line.len() + 1 + item.len() > 80 {
            writeln!(out, "{indent}{line}").unwrap();
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&item);
    }
    writeln!(out, "{indent}{line}").unwrap();
    out
}

fn main_usage() -> String {
    format!(
        "\
seccompc {version}: compile, disassemble and simulate seccomp policy files for any Linux ABI

Usage: seccompc COMMAND FILE [OPTIONS]

Commands:
  compile POLICY_FILE   compile a policy to a BPF program (asm, json or raw)
  disasm RAW_FILE       disassemble a raw program and check it against the kernel's rules
  simulate POLICY_FILE  run a policy on one syscall, as the kernel would
  stats POLICY_FILE     program length, instructions executed, action-cache coverage
  help [COMMAND]        this text, or a command's

Options:
  --arch ABI            the ABI to compile for or read programs of
                        ({arch_default})
  -h, --help            this text; `seccompc COMMAND --help` describes a command
  -V, --version         the version

ABIs, as libseccomp names them:
{abis}
The policy language is the one of `seccomp_rt::seccomp!` (docs/language.md in the
repository). A FILE of `-` is standard input.

Exit status: 0 on success; 1 when the policy or the program has errors; 2 when the
command line is wrong.
",
        version = env!("CARGO_PKG_VERSION"),
        arch_default = arch_option_default(),
        abis = abi_list("  "),
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Command {
    Compile,
    Disasm,
    Simulate,
    Stats,
}

impl Command {
    const ALL: [Command; 4] = [
        Command::Compile,
        Command::Disasm,
        Command::Simulate,
        Command::Stats,
    ];

    fn name(self) -> &'static str {
        match self {
            Command::Compile => "compile",
            Command::Disasm => "disasm",
            Command::Simulate => "simulate",
            Command::Stats => "stats",
        }
    }

    fn from_name(name: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Whether the command takes this option (its canonical spelling).
    fn takes(self, option: &str) -> bool {
        match option {
            "--arch" => true,
            "--format" | "-o" => self == Command::Compile,
            "--nr" | "--audit-arch" => self == Command::Simulate,
            _ => self == Command::Simulate && arg_index(option).is_some(),
        }
    }

    fn usage(self) -> String {
        let arch = arch_option_default();
        match self {
            Command::Compile => format!(
                "\
seccompc compile: compile a policy file to a seccomp BPF program

Usage: seccompc compile POLICY_FILE [--arch ABI] [--format asm|json|raw] [-o OUT]

Options:
  --arch ABI          the ABI to compile for ({arch})
  --format FORMAT     what to write (default: asm):
                        asm   readable assembly, one instruction a line
                        json  [{{\"code\":…,\"jt\":…,\"jf\":…,\"k\":…}}, …] in decimal,
                              one instruction a line
                        raw   the sock_filter array the kernel loads: 8 bytes an
                              instruction (code u16, jt u8, jf u8, k u32) in the
                              ABI's byte order; written to standard output only
                              when that is not a terminal
  -o, --output OUT    write to OUT instead of standard output
  -h, --help          this text

Errors are shown at FILE:LINE:COLUMN under the offending token, all at once.
Rust constants (`libc::AF_UNIX`) and runtime parameters (`$fd`) can only be
evaluated by the `seccomp!` macro and seccomp-rt: write the number instead.

ABIs:
{abis}
Example:
  seccompc compile policy.seccomp --arch aarch64 --format raw -o policy.bpf
",
                abis = abi_list("  "),
            ),
            Command::Disasm => format!(
                "\
seccompc disasm: disassemble a raw seccomp BPF program and check it

Usage: seccompc disasm RAW_FILE [--arch ABI]

RAW_FILE holds sock_filter instructions, 8 bytes each (code u16, jt u8, jf u8,
k u32) in the ABI's byte order, as `seccompc compile --format raw` writes them.
After the listing, the program is checked against the kernel's rules
(opcodes, loads inside seccomp_data, jumps, final return, at most 4096
instructions); the exit status is 1 if the kernel would refuse it.

Options:
  --arch ABI          the ABI whose byte order the file is in, which also names
                      the argument words in the listing
                      ({arch})
  -h, --help          this text

Example:
  seccompc disasm policy.bpf --arch s390x
"
            ),
            Command::Simulate => format!(
                "\
seccompc simulate: compile a policy and run it on one syscall, as the kernel would

Usage: seccompc simulate POLICY_FILE --nr NAME|NUMBER [--arch ABI]
                         [--arg0 V … --arg5 V] [--audit-arch ABI|HEX]

Prints the action the kernel takes (`allow`, `errno(1)`, `kill_process`, …) on
the first line, then the number of instructions the filter executed and
whether the kernel's action cache (Linux 5.11+) allows this syscall without
running the filter at all.

Options:
  --arch ABI          the ABI to compile for ({arch})
  --nr NAME|NUMBER    the syscall: a name from the calling ABI's table, or the
                      number exactly as seccomp_data.nr holds it (x32 numbers
                      carry 0x40000000, mips o32 numbers start at 4000)
  --arg0 V … --arg5 V the argument registers (default 0)
  --audit-arch ABI|HEX
                      seccomp_data.arch: the ABI making the call, by name or as
                      an AUDIT_ARCH value in hex (default: the --arch ABI's);
                      with a name, --nr names are looked up in that ABI
  -h, --help          this text

Values are decimal, 0x hexadecimal, or negative (64-bit two's complement).

Example:
  seccompc simulate policy.seccomp --nr write --arg0 1
"
            ),
            Command::Stats => format!(
                "\
seccompc stats: how big a compiled policy is and how fast it runs

Usage: seccompc stats POLICY_FILE [--arch ABI]

Prints
- the program's length;
- the mean and the maximum number of instructions the simulator executes over
  every syscall number from 0 (from the ABI's first number on mips and x32) to
  the highest number of the ABI's table, with all arguments 0;
- of the syscalls in the ABI's table that the policy allows whatever their
  arguments, how many the kernel's action cache (Linux 5.11+) allows without
  running the filter, and which it does not.

Options:
  --arch ABI          the ABI to compile for ({arch})
  -h, --help          this text
"
            ),
        }
    }
}

// ---------------------------------------------------------------------------
// The command line

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Asm,
    Json,
    Raw,
}

struct Options {
    command: Command,
    file: String,
    arch: Arch,
    format: Format,
    out: Option<String>,
    nr: Option<String>,
    args: [u64; 6],
    /// `--audit-arch`: the value, and the ABI when given by name.
    audit_arch: Option<(u32, Option<Arch>)>,
}

enum Parsed {
    Run(Options),
    Help(String),
    Version,
}

fn arg_index(option: &str) -> Option<usize> {
    match option.strip_prefix("--arg")?.as_bytes() {
        &[d @ b'0'..=b'5'] => Some(usize::from(d - b'0')),
        _ => None,
    }
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Parsed, Failure> {
    let usage = |msg: String| Failure::Usage(msg, None);
    let Some(first) = it.next() else {
        eprint!("{}", main_usage());
        return Err(usage("no command given".to_owned()));
    };
    let command = match first.as_str() {
        "-h" | "--help" => return Ok(Parsed::Help(main_usage())),
        "-V" | "--version" => return Ok(Parsed::Version),
        "help" => {
            return match it.next() {
                None => Ok(Parsed::Help(main_usage())),
                Some(name) => match Command::from_name(&name) {
                    Some(c) => Ok(Parsed::Help(c.usage())),
                    None => Err(usage(unknown_command(&name))),
                },
            };
        }
        name => match Command::from_name(name) {
            Some(c) => c,
            None if name.starts_with('-') => {
                return Err(usage(format!(
                    "`{name}` comes after a command: `seccompc COMMAND FILE [OPTIONS]`"
                )));
            }
            None => return Err(usage(unknown_command(name))),
        },
    };
    parse_command_args(command, it)
}

fn unknown_command(name: &str) -> String {
    format!(
        "unknown command `{name}`; the commands are `compile`, `disasm`, `simulate` and `stats`"
    )
}

fn parse_command_args(
    command: Command,
    mut it: impl Iterator<Item = String>,
) -> Result<Parsed, Failure> {
    let usage = |msg: String| Failure::Usage(msg, Some(command));
    let mut file = None;
    let mut arch = None;
    let mut format = None;
    let mut out = None;
    let mut nr = None;
    let mut args = [0u64; 6];
    let mut audit_arch = None;
    let mut seen: Vec<String> = Vec::new();
    let mut positional_only = false;
    while let Some(arg) = it.next() {
        if positional_only || arg == "-" || !arg.starts_with('-') {
            if let Some(first) = &file {
                return Err(usage(format!(
                    "unexpected argument `{arg}`: `{}` takes one file, and `{first}` is given",
                    command.name()
                )));
            }
            file = Some(arg);
            continue;
        }
        if arg == "--" {
            positional_only = true;
            continue;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(Parsed::Help(command.usage()));
        }
        let flag = if flag == "--output" {
            "-o".to_owned()
        } else {
            flag
        };
        if !command.takes(&flag) {
            let known = Command::ALL.iter().any(|c| c.takes(&flag));
            return Err(usage(if known {
                format!("`{arg}` is not an option of `{}`", command.name())
            } else if command == Command::Simulate && flag.starts_with("--arg") {
                format!("unknown option `{arg}`: the argument registers are `--arg0` to `--arg5`")
            } else {
                format!("unknown option `{arg}`")
            }));
        }
        if seen.contains(&flag) {
            return Err(usage(format!("`{flag}` is given twice")));
        }
        seen.push(flag.clone());
        let Some(value) = inline.or_else(|| it.next()) else {
            return Err(usage(format!("`{flag}` needs a value")));
        };
        match flag.as_str() {
            "--arch" => arch = Some(parse_arch(&value).map_err(usage)?),
            "--format" => {
                format = Some(match value.as_str() {
                    "asm" => Format::Asm,
                    "json" => Format::Json,
                    "raw" => Format::Raw,
                    _ => {
                        return Err(usage(format!(
                            "unknown format `{value}`; the formats are `asm`, `json` and `raw`"
                        )));
                    }
                });
            }
            "-o" => out = Some(value),
            "--nr" => nr = Some(value),
            "--audit-arch" => {
                audit_arch = Some(match Arch::from_name(&value) {
                    Some(a) => (a.audit_arch(), Some(a)),
                    None => (parse_hex32(&value).map_err(usage)?, None),
                });
            }
            _ => {
                let i = arg_index(&flag).expect("an --argN option");
                args[i] = parse_value(&value).map_err(|e| usage(format!("`{flag}`: {e}")))?;
            }
        }
    }
    let Some(file) = file else {
        let what = if command == Command::Disasm {
            "RAW_FILE"
        } else {
            "POLICY_FILE"
        };
        return Err(usage(format!(
            "`{}` needs a {what}: `seccompc {} {what}`",
            command.name(),
            command.name()
        )));
    };
    let arch = match arch.or_else(host_arch) {
        Some(a) => a,
        None => {
            return Err(usage(format!(
                "this host's ABI is not one seccompc knows; give `--arch ABI`, one of:\n{}",
                abi_list("  ")
            )));
        }
    };
    if command == Command::Simulate && nr.is_none() {
        return Err(usage(
            "`simulate` needs the syscall: `--nr NAME|NUMBER`".to_owned(),
        ));
    }
    Ok(Parsed::Run(Options {
        command,
        file,
        arch,
        format: format.unwrap_or(Format::Asm),
        out,
        nr,
        args,
        audit_arch,
    }))
}

fn parse_arch(name: &str) -> Result<Arch, String> {
    if let Some(a) = Arch::from_name(name) {
        return Ok(a);
    }
    let alias = match name {
        "amd64" | "x86-64" => Some("x86_64"),
        "i386" | "i486" | "i586" | "i686" | "ia32" => Some("x86"),
        "arm64" => Some("aarch64"),
        "armhf" | "armel" | "armv7" => Some("arm"),
        "riscv" => Some("riscv64"),
        "powerpc64le" | "ppc64el" => Some("ppc64le"),
        "powerpc64" => Some("ppc64"),
        "powerpc" => Some("ppc"),
        "loong64" => Some("loongarch64"),
        _ => None,
    };
    let hint = alias.map_or_else(String::new, |a| format!("; did you mean `{a}`?"));
    Err(format!(
        "unknown ABI `{name}`{hint}\nthe ABIs, as libseccomp names them, are:\n{}",
        abi_list("  ").trim_end()
    ))
}

/// A 64-bit value: decimal, `0x` hex, or negative (two's complement).
fn parse_value(s: &str) -> Result<u64, String> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    let digits = digits.replace('_', "");
    let magnitude = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => digits.parse::<u64>(),
    }
    .map_err(|e| match e.kind() {
        std::num::IntErrorKind::PosOverflow => format!("`{s}` does not fit 64 bits"),
        _ => format!("`{s}` is not a number (decimal, 0x hex, or negative)"),
    })?;
    if !negative {
        Ok(magnitude)
    } else if magnitude <= 1 << 63 {
        Ok(magnitude.wrapping_neg())
    } else {
        Err(format!("`{s}` does not fit 64 bits"))
    }
}

fn parse_hex32(s: &str) -> Result<u32, String> {
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s)
        .replace('_', "");
    u32::from_str_radix(&digits, 16).map_err(|_| {
        format!(
            "`--audit-arch {s}`: expected an ABI name or a 32-bit AUDIT_ARCH value in hex (`0xc000003e`)"
        )
    })
}

// ---------------------------------------------------------------------------
// Reading, compiling and reporting

struct Source {
    name: String,
    text: String,
}

fn read_input(path: &str) -> Result<(String, Vec<u8>), Failure> {
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

fn read_policy(path: &str) -> Result<Source, Failure> {
    let (name, bytes) = read_input(path)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::Error(format!("`{name}` is not UTF-8 text")))?;
    Ok(Source { name, text })
}

struct Compiled {
    policy: resolved::Policy,
    program: Program,
    bpf: Vec<SockFilter>,
}

/// Parses, resolves and compiles, reporting every diagnostic of the first stage
/// that has any.
fn compile(src: &Source, arch: Arch) -> Result<Compiled, Failure> {
    let fail = |diags: Vec<Diagnostic>| report(src, arch, diags);
    let ast = syntax::parse_str(&src.text).map_err(fail)?;
    let policy = resolve::resolve(&ast, arch).map_err(fail)?;
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
    Err(report_items(src, arch, &unknown))
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

/// Prints every diagnostic, sorted by position, rustc-style.
fn report(src: &Source, arch: Arch, diags: Vec<Diagnostic>) -> Failure {
    let mut items: Vec<Item> = diags.iter().map(|d| Item::new(&src.text, d)).collect();
    items.sort_by_key(|i| (i.range.start, i.range.end));
    report_items(src, arch, &items)
}

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

fn endian(arch: Arch) -> Endian {
    if arch.is_big_endian() {
        Endian::Big
    } else {
        Endian::Little
    }
}

/// Writes to standard output; a closed pipe (`| head`) is not an error.
fn emit(bytes: &[u8]) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::Error(format!(
            "cannot write to standard output: {e}"
        ))),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------
// The commands

fn run(opts: &Options) -> Result<(), Failure> {
    match opts.command {
        Command::Compile => cmd_compile(opts),
        Command::Disasm => cmd_disasm(opts),
        Command::Simulate => cmd_simulate(opts),
        Command::Stats => cmd_stats(opts),
    }
}

fn json(bpf: &[SockFilter]) -> String {
    let mut out = String::from("[\n");
    for (i, insn) in bpf.iter().enumerate() {
        let comma = if i + 1 < bpf.len() { "," } else { "" };
        writeln!(
            out,
            "  {{\"code\":{},\"jt\":{},\"jf\":{},\"k\":{}}}{comma}",
            insn.code, insn.jt, insn.jf, insn.k
        )
        .unwrap();
    }
    out.push_str("]\n");
    out
}

fn cmd_compile(opts: &Options) -> Result<(), Failure> {
    if opts.format == Format::Raw && opts.out.is_none() && std::io::stdout().is_terminal() {
        return Err(Failure::Usage(
            "refusing to write a raw program to a terminal; give `-o OUT` or redirect standard output"
                .to_owned(),
            Some(Command::Compile),
        ));
    }
    let src = read_policy(&opts.file)?;
    let c = compile(&src, opts.arch)?;
    let bytes = match opts.format {
        Format::Raw => c
            .bpf
            .iter()
            .flat_map(|i| i.to_bytes(c.program.endian()))
            .collect(),
        Format::Json => json(&c.bpf).into_bytes(),
        Format::Asm => Disasm::new(&c.bpf, c.program.endian())
            .to_string()
            .into_bytes(),
    };
    match &opts.out {
        Some(path) => std::fs::write(path, &bytes)
            .map_err(|e| Failure::Error(format!("cannot write `{path}`: {e}"))),
        None => emit(&bytes),
    }
}

fn cmd_disasm(opts: &Options) -> Result<(), Failure> {
    let (name, bytes) = read_input(&opts.file)?;
    if bytes.len() % 8 != 0 {
        return Err(Failure::Error(format!(
            "`{name}` is {} bytes long, which is not a whole number of instructions: a raw \
             program is 8 bytes an instruction (code u16, jt u8, jf u8, k u32); {} bytes are \
             left over",
            bytes.len(),
            bytes.len() % 8
        )));
    }
    let decode = |e: Endian| -> Vec<SockFilter> {
        bytes
            .chunks_exact(8)
            .map(|c| SockFilter::from_bytes(c.try_into().expect("8 bytes"), e))
            .collect()
    };
    let order = endian(opts.arch);
    let bpf = decode(order);
    emit(Disasm::new(&bpf, order).to_string().as_bytes())?;
    check(&bpf).map_err(|e| {
        let mut msg = format!("the kernel would refuse this program: {e}");
        let other = if order == Endian::Big {
            Endian::Little
        } else {
            Endian::Big
        };
        if check(&decode(other)).is_ok() {
            let (this, that) = if order == Endian::Big {
                ("big", "little")
            } else {
                ("little", "big")
            };
            let abis: Vec<&str> = Arch::ALL
                .iter()
                .filter(|a| endian(**a) == other)
                .map(|a| a.as_str())
                .take(3)
                .collect();
            write!(
                msg,
                "\n  = help: {} is {this}-endian, but the program reads correctly as {that}-endian; \
                 was it compiled for a {that}-endian ABI such as {}?",
                opts.arch,
                abis.join(", ")
            )
            .unwrap();
        }
        Failure::Error(msg)
    })
}

/// `--nr`: a name in `abi`'s table, or the number as `seccomp_data.nr` holds it.
fn syscall_number(abi: Arch, nr: &str) -> Result<u32, Failure> {
    if let Some(sc) = abi.syscall(nr) {
        return Ok(sc.nr);
    }
    let starts_like_number = nr.starts_with(|c: char| c.is_ascii_digit() || c == '-');
    if !starts_like_number {
        let mut hint = where_else(nr);
        if hint.is_empty()
            && let Some(near) = closest(abi, nr)
        {
            hint = format!("; did you mean `{near}`?");
        }
        return Err(Failure::Error(format!(
            "unknown syscall `{nr}` on {abi}{hint}"
        )));
    }
    let v = parse_value(nr).map_err(|e| Failure::Usage(e, Some(Command::Simulate)))?;
    // seccomp_data.nr is an `int`: accept its bits either as unsigned or as negative.
    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    let fits = u32::try_from(v)
        .ok()
        .or_else(|| i32::try_from(v as i64).ok().map(|n| n as u32));
    fits.ok_or_else(|| {
        Failure::Usage(
            format!("`--nr {nr}` does not fit seccomp_data.nr, a 32-bit `int`"),
            Some(Command::Simulate),
        )
    })
}

/// "; it exists on x86, arm, …" for a name another ABI has.
fn where_else(name: &str) -> String {
    let abis: Vec<&str> = Arch::ALL
        .iter()
        .filter(|a| a.syscall(name).is_some())
        .map(|a| a.as_str())
        .collect();
    if abis.is_empty() {
        String::new()
    } else {
        format!("; it exists on {}", abis.join(", "))
    }
}

/// The name of `abi`'s table nearest to `name`, if it is near enough to be a typo.
fn closest(abi: Arch, name: &str) -> Option<&'static str> {
    /// Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`.
    fn distance(a: &str, b: &str) -> usize {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        d[0] = (0..=b.len()).collect();
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut best = (d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1)
                    .min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    best = best.min(d[i - 2][j - 2] + 1);
                }
                d[i][j] = best;
            }
        }
        d[a.len()][b.len()]
    }
    let limit = (name.chars().count() / 3).max(1);
    abi.table()
        .syscalls
        .iter()
        .map(|s| (distance(name, s.name), s.name))
        .filter(|&(d, _)| d <= limit)
        .min()
        .map(|(_, n)| n)
}

fn cmd_simulate(opts: &Options) -> Result<(), Failure> {
    let src = read_policy(&opts.file)?;
    let c = compile(&src, opts.arch)?;
    // The ABI making the call: named by --audit-arch, found by its value, or --arch's.
    let (audit, caller) = match opts.audit_arch {
        Some((value, Some(abi))) => (value, Some(abi)),
        Some((value, None)) => {
            let matching = |a: &Arch| a.audit_arch() == value;
            let abi = Some(opts.arch)
                .filter(matching)
                .or_else(|| Arch::ALL.iter().copied().find(matching));
            (value, abi)
        }
        None => (opts.arch.audit_arch(), Some(opts.arch)),
    };
    let table = caller.unwrap_or(opts.arch);
    let nr = syscall_number(table, opts.nr.as_deref().expect("checked by parse_args"))?;
    #[allow(clippy::cast_possible_wrap)]
    let data = SeccompData {
        nr: nr as i32,
        arch: audit,
        instruction_pointer: 0,
        args: opts.args,
    };
    let (ret, count) = simulate_counted(&c.bpf, &data, c.program.endian()).map_err(|e| {
        Failure::Error(format!(
            "internal error: the simulator stopped: {e} (this is a bug in seccomp-compiler)"
        ))
    })?;
    #[allow(clippy::cast_possible_wrap)]
    let shown = match caller.and_then(|a| a.syscall_by_nr(nr)) {
        Some(s) => format!("`{}` (nr {nr})", s.name),
        None => format!("syscall {}", nr as i32),
    };
    let from = caller.map_or_else(
        || "an ABI seccompc does not know".to_owned(),
        |a| a.to_string(),
    );
    let args: Vec<String> = opts.args.iter().map(|a| format!("{a:#x}")).collect();
    let mut out = String::new();
    writeln!(out, "{}", Action::from_ret(ret)).unwrap();
    writeln!(
        out,
        "{shown} from {from} (arch {audit:#010x}), args [{}]",
        args.join(", ")
    )
    .unwrap();
    writeln!(
        out,
        "{count} instruction{} executed",
        if count == 1 { "" } else { "s" }
    )
    .unwrap();
    if cache::is_const_allow(&c.bpf, audit, nr) {
        writeln!(
            out,
            "action cache: always allowed; the kernel skips the filter for {shown}"
        )
        .unwrap();
    } else {
        writeln!(
            out,
            "action cache: not cached; the kernel runs the filter on every call"
        )
        .unwrap();
    }
    emit(out.as_bytes())
}

/// Whether every call of `nr` is allowed, whatever its arguments: every rule
/// that can match is an `allow`, and so is the default if no rule is unconditional.
fn allowed_unconditionally(rules: &resolved::AbiRules, nr: u32) -> bool {
    let Some(syscall) = rules.syscalls.get(&nr) else {
        return rules.default == Action::Allow;
    };
    for rule in &syscall.rules {
        if rule.action != Action::Allow {
            return false;
        }
        if rule.predicate.is_none() {
            return true;
        }
    }
    rules.default == Action::Allow
}

#[allow(clippy::cast_possible_wrap, clippy::cast_precision_loss)]
fn cmd_stats(opts: &Options) -> Result<(), Failure> {
    let src = read_policy(&opts.file)?;
    let c = compile(&src, opts.arch)?;
    let table = opts.arch.table();
    let audit = opts.arch.audit_arch();
    let lo = table.syscalls.iter().map(|s| s.nr).min().unwrap_or(0);
    let hi = table.syscalls.iter().map(|s| s.nr).max().unwrap_or(0);
    // mips (4000, 5000, 6000) and x32 (0x4000_0000) number from an offset.
    let first = if lo < 1000 { 0 } else { lo };
    let (mut total, mut max) = (0usize, 0usize);
    for nr in first..=hi {
        let data = SeccompData {
            nr: nr as i32,
            arch: audit,
            instruction_pointer: 0,
            args: [0; 6],
        };
        let (_, count) = simulate_counted(&c.bpf, &data, c.program.endian()).map_err(|e| {
            Failure::Error(format!(
                "internal error: the simulator stopped on nr {nr}: {e} (this is a bug in seccomp-compiler)"
            ))
        })?;
        total += count;
        max = max.max(count);
    }
    let numbers = u64::from(hi - first) + 1;
    let mean = total as f64 / numbers as f64;
    let rules = &c.policy.abis[0];
    let unconditional: Vec<&str> = table
        .syscalls
        .iter()
        .filter(|s| allowed_unconditionally(rules, s.nr))
        .map(|s| s.name)
        .collect();
    let not_cached: Vec<&str> = table
        .syscalls
        .iter()
        .filter(|s| allowed_unconditionally(rules, s.nr))
        .filter(|s| !cache::is_const_allow(&c.bpf, audit, s.nr))
        .map(|s| s.name)
        .collect();
    let cached = unconditional.len() - not_cached.len();
    let mut out = String::new();
    writeln!(out, "{} on {}", src.name, opts.arch).unwrap();
    writeln!(out, "length: {} instructions", c.bpf.len()).unwrap();
    writeln!(
        out,
        "executed: mean {mean:.2}, max {max} instructions over syscall numbers {first}..={hi} \
         (arguments 0)"
    )
    .unwrap();
    writeln!(
        out,
        "action cache: {cached} of the {} syscalls the policy allows unconditionally are \
         always allowed without running the filter ({} syscalls in {}'s table)",
        unconditional.len(),
        table.syscalls.len(),
        opts.arch
    )
    .unwrap();
    if !not_cached.is_empty() {
        writeln!(out, "not cached: {}", not_cached.join(", ")).unwrap();
    }
    emit(out.as_bytes())
}
