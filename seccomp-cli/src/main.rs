//! `seccompc`: compile, disassemble and simulate seccomp policies for any Linux ABI.
#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::process::ExitCode;

use seccomp_bpf::disasm::Disasm;
use seccomp_bpf::ret::Action;
use seccomp_bpf::{Endian, SeccompData, SockFilter, cache, check, simulate_counted};
use seccomp_compiler::{Arch, Diagnostic, Program, compile_str};

const USAGE: &str = "seccompc: compile, disassemble and simulate seccomp policies for any Linux ABI

usage:
  seccompc compile POLICY_FILE [--arch ABI] [--format raw|json|asm] [-o OUT]
  seccompc disasm RAW_FILE [--arch ABI]
  seccompc simulate POLICY_FILE [--arch ABI] --nr NAME|NUMBER [--arg0 V … --arg5 V] [--audit-arch V]
  seccompc stats POLICY_FILE [--arch ABI]
  seccompc --help | --version

compile   compiles a policy file (the language of seccomp_rt::seccomp!) for one ABI.
          raw: the sock_filter array, 8 bytes an instruction, in the ABI's byte order
          (the default when stdout is not a terminal); json: [{\"code\":…,\"jt\":…,
          \"jf\":…,\"k\":…}, …]; asm: readable assembly (the default on a terminal).
disasm    disassembles a raw program and checks it against the kernel's rules.
simulate  runs the compiled program on one syscall and prints the action, the
          instructions executed and whether the kernel's action cache would skip it.
          Values: decimal, 0x hex, negative (two's complement).
stats     program length; mean and max instructions executed over every syscall
          number of the ABI's table; how many syscalls the action cache would skip.

--arch    libseccomp's ABI names: x86_64 (the default), x86, x32, aarch64, arm, riscv64,
          ppc64le, ppc64, ppc, s390x, s390, mips, mipsel, mips64, mipsel64, mips64n32,
          mipsel64n32, loongarch64, parisc, parisc64, m68k, sh, sheb.";

struct Args {
    command: String,
    file: String,
    arch: Arch,
    format: Option<String>,
    out: Option<String>,
    nr: Option<String>,
    args: [u64; 6],
    audit_arch: Option<u32>,
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("seccompc: {msg}");
    ExitCode::FAILURE
}

fn parse_value(s: &str) -> Result<u64, String> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    let v = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(h) => u64::from_str_radix(&h.replace('_', ""), 16),
        None => digits.replace('_', "").parse::<u64>(),
    }
    .map_err(|_| format!("`{s}` is not a number"))?;
    Ok(if neg { v.wrapping_neg() } else { v })
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let command = it.next().ok_or_else(|| USAGE.to_owned())?;
    if command == "--help" || command == "-h" || command == "help" {
        return Err(USAGE.to_owned());
    }
    if command == "--version" {
        println!("seccompc {}", env!("CARGO_PKG_VERSION"));
        std::process::exit(0);
    }
    if !matches!(
        command.as_str(),
        "compile" | "disasm" | "simulate" | "stats"
    ) {
        return Err(format!("unknown command `{command}`\n\n{USAGE}"));
    }
    let mut a = Args {
        command,
        file: String::new(),
        arch: Arch::X86_64,
        format: None,
        out: None,
        nr: None,
        args: [0; 6],
        audit_arch: None,
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("`{flag}` needs a value"));
        match flag.as_str() {
            "--help" | "-h" => return Err(USAGE.to_owned()),
            "--arch" => {
                let name = value()?;
                a.arch = Arch::from_name(&name).ok_or_else(|| {
                    format!(
                        "unknown ABI `{name}`; the ABIs are {}",
                        Arch::ALL
                            .iter()
                            .map(|a| a.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
            }
            "--format" => a.format = Some(value()?),
            "-o" | "--output" => a.out = Some(value()?),
            "--nr" => a.nr = Some(value()?),
            "--audit-arch" => {
                a.audit_arch = Some(
                    u32::try_from(parse_value(&value()?)?)
                        .map_err(|_| "`--audit-arch` is 32 bits")?,
                )
            }
            f if f.starts_with("--arg") && f.len() == 6 => {
                let i = usize::from(f.as_bytes()[5].wrapping_sub(b'0'));
                if i > 5 {
                    return Err(format!(
                        "unknown option `{f}`: the arguments are --arg0 … --arg5"
                    ));
                }
                a.args[i] = parse_value(&value()?)?;
            }
            f if f.starts_with('-') => return Err(format!("unknown option `{f}`\n\n{USAGE}")),
            f if a.file.is_empty() => a.file = f.to_owned(),
            f => return Err(format!("unexpected argument `{f}`")),
        }
    }
    if a.file.is_empty() {
        return Err(format!("`{}` needs a file\n\n{USAGE}", a.command));
    }
    Ok(a)
}

/// Renders a diagnostic the way rustc does, with the file's line and a caret.
fn render(d: &Diagnostic, file: &str, src: &str) -> String {
    let (start, end) = (d.span.start(), d.span.end());
    let mut out = format!("error: {}\n", d.message);
    if start.line == 0 {
        writeln!(out, " --> {file}").unwrap();
    } else {
        let line_text = src.lines().nth(start.line - 1).unwrap_or("");
        let number = start.line.to_string();
        let pad = " ".repeat(number.len());
        let width = if end.line == start.line {
            end.column.saturating_sub(start.column).max(1)
        } else {
            1
        };
        writeln!(out, "{pad}--> {file}:{}:{}", start.line, start.column + 1).unwrap();
        writeln!(out, "{pad} |").unwrap();
        writeln!(out, "{number} | {line_text}").unwrap();
        writeln!(
            out,
            "{pad} | {}{}",
            " ".repeat(start.column),
            "^".repeat(width)
        )
        .unwrap();
    }
    if let Some(h) = &d.help {
        writeln!(out, "  = help: {h}").unwrap();
    }
    out
}

fn compile_file(a: &Args) -> Result<(Program, Vec<SockFilter>), ExitCode> {
    let src =
        std::fs::read_to_string(&a.file).map_err(|e| fail(format_args!("{}: {e}", a.file)))?;
    let program = match compile_str(&src, a.arch) {
        Ok(p) => p,
        Err(diags) => {
            let mut diags = diags;
            diags.sort_by_key(|d| (d.span.start().line, d.span.start().column));
            for d in &diags {
                eprintln!("{}", render(d, &a.file, &src));
            }
            eprintln!(
                "seccompc: {} error{} in {}",
                diags.len(),
                if diags.len() == 1 { "" } else { "s" },
                a.file
            );
            return Err(ExitCode::FAILURE);
        }
    };
    if !program.params.is_empty() {
        for p in &program.params {
            let d = Diagnostic::error(
                p.span,
                format!(
                    "`${}` is a runtime parameter: seccomp-rt binds it at install time; seccompc cannot compile it",
                    p.name
                ),
            );
            eprintln!("{}", render(&d, &a.file, &src));
        }
        return Err(ExitCode::FAILURE);
    }
    match program.to_sock_filters() {
        Some(bpf) => Ok((program, bpf)),
        None => {
            for s in &program.symbols {
                let d = Diagnostic::error(
                    s.span,
                    "Rust constants can only be evaluated by the `seccomp!` macro; write the number here",
                );
                eprintln!("{}", render(&d, &a.file, &src));
            }
            Err(ExitCode::FAILURE)
        }
    }
}

fn endian(arch: Arch) -> Endian {
    if arch.is_big_endian() {
        Endian::Big
    } else {
        Endian::Little
    }
}

fn json(bpf: &[SockFilter]) -> String {
    let items: Vec<String> = bpf
        .iter()
        .map(|i| {
            format!(
                "{{\"code\":{},\"jt\":{},\"jf\":{},\"k\":{}}}",
                i.code, i.jt, i.jf, i.k
            )
        })
        .collect();
    format!("[\n{}\n]\n", items.join(",\n"))
}

fn cmd_compile(a: &Args) -> ExitCode {
    let (program, bpf) = match compile_file(a) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let to_terminal = a.out.is_none() && std::io::stdout().is_terminal();
    let format = a.format.clone().unwrap_or_else(|| {
        if to_terminal {
            "asm".into()
        } else {
            "raw".into()
        }
    });
    let bytes: Vec<u8> = match format.as_str() {
        "raw" => {
            if to_terminal {
                return fail(
                    "refusing to write a raw program to a terminal; use -o FILE or --format asm|json",
                );
            }
            bpf.iter()
                .flat_map(|i| i.to_bytes(program.endian()))
                .collect()
        }
        "json" => json(&bpf).into_bytes(),
        "asm" => Disasm::new(&bpf, program.endian()).to_string().into_bytes(),
        other => return fail(format_args!("unknown format `{other}`: raw, json or asm")),
    };
    let written = match &a.out {
        Some(path) => std::fs::write(path, &bytes).map_err(|e| format!("{path}: {e}")),
        None => std::io::stdout()
            .write_all(&bytes)
            .map_err(|e| e.to_string()),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn cmd_disasm(a: &Args) -> ExitCode {
    let bytes = match std::fs::read(&a.file) {
        Ok(b) => b,
        Err(e) => return fail(format_args!("{}: {e}", a.file)),
    };
    if bytes.len() % 8 != 0 {
        return fail(format_args!(
            "{}: {} bytes is not a whole number of 8-byte instructions",
            a.file,
            bytes.len()
        ));
    }
    let bpf: Vec<SockFilter> = bytes
        .chunks_exact(8)
        .map(|c| SockFilter::from_bytes(c.try_into().expect("8 bytes"), endian(a.arch)))
        .collect();
    print!("{}", Disasm::new(&bpf, endian(a.arch)));
    match check(&bpf) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format_args!("the kernel would refuse this program: {e}")),
    }
}

fn cmd_simulate(a: &Args) -> ExitCode {
    let (program, bpf) = match compile_file(a) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let Some(nr) = &a.nr else {
        return fail("`simulate` needs `--nr NAME|NUMBER`");
    };
    let nr = match a.arch.syscall(nr) {
        Some(sc) => sc.nr,
        None => match parse_value(nr).ok().and_then(|v| {
            u32::try_from(v)
                .ok()
                .or_else(|| i32::try_from(v as i64).ok().map(|n| n as u32))
        }) {
            Some(n) => n,
            None => return fail(format_args!("unknown syscall `{nr}` on {}", a.arch)),
        },
    };
    let audit = a.audit_arch.unwrap_or(a.arch.audit_arch());
    let data = SeccompData {
        nr: nr as i32,
        arch: audit,
        instruction_pointer: 0,
        args: a.args,
    };
    match simulate_counted(&bpf, &data, program.endian()) {
        Ok((ret, count)) => {
            let name = a
                .arch
                .syscall_by_nr(nr)
                .map_or(String::new(), |s| format!(" ({})", s.name));
            println!("{}", Action::from_ret(ret));
            println!("syscall {nr}{name}, arch {audit:#x}: {count} instructions executed");
            let cached = cache::is_const_allow(&bpf, audit, nr);
            println!(
                "action cache: {}",
                if cached {
                    "always allowed (the kernel skips the filter)"
                } else {
                    "not cached (the filter runs)"
                }
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(format_args!("internal error: {e}")),
    }
}

fn cmd_stats(a: &Args) -> ExitCode {
    let (program, bpf) = match compile_file(a) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let table = a.arch.table();
    let audit = a.arch.audit_arch();
    let (lo, hi) = table
        .syscalls
        .iter()
        .fold((u32::MAX, 0), |(l, h), s| (l.min(s.nr), h.max(s.nr)));
    let (mut total, mut max, mut n) = (0usize, 0usize, 0usize);
    for nr in lo..=hi {
        let data = SeccompData {
            nr: nr as i32,
            arch: audit,
            instruction_pointer: 0,
            args: [0; 6],
        };
        let (_, count) =
            simulate_counted(&bpf, &data, program.endian()).expect("a checked program runs");
        total += count;
        max = max.max(count);
        n += 1;
    }
    let cached = table
        .syscalls
        .iter()
        .filter(|sc| cache::is_const_allow(&bpf, audit, sc.nr))
        .count();
    println!("abi: {}", a.arch);
    println!("length: {} instructions", bpf.len());
    #[allow(clippy::cast_precision_loss)]
    let mean = total as f64 / n as f64;
    println!("executed over syscall numbers {lo}..={hi}: mean {mean:.2}, max {max}");
    println!(
        "action cache: {cached} of the {} syscalls of the table are always allowed without running the filter",
        table.syscalls.len()
    );
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let a = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    match a.command.as_str() {
        "compile" => cmd_compile(&a),
        "disasm" => cmd_disasm(&a),
        "simulate" => cmd_simulate(&a),
        _ => cmd_stats(&a),
    }
}
