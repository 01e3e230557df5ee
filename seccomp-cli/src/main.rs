//! `seccompc`: compile, disassemble and simulate seccomp policy files for any Linux ABI.
//!
//! The policy language is the one of `seccomp_rt::seccomp!`, parsed by the same
//! compiler; its diagnostics are rendered rustc-style with codespan-reporting.
#![forbid(unsafe_code)]

mod args;
mod learn;
mod report;

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use seccomp_bpf::disasm::Disasm;
use seccomp_bpf::ret::Action;
use seccomp_bpf::{Endian, SeccompData, SockFilter, check, simulate_counted};
use seccomp_compiler::suggest::did_you_mean;
use seccomp_compiler::{Arch, groups, stats};

use args::{Command, Format, Options, Parsed, parse_args, parse_value};
use report::{compile, first_error, read_input, read_policy};

fn main() -> ExitCode {
    let args: Result<Vec<String>, _> = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect();
    if let Ok(args) = &args
        && let Some(result) = learn::dispatch(args)
    {
        return match result {
            Ok(code) => ExitCode::from(code),
            Err(e) => exit_code(Err(e)),
        };
    }
    let result = match args
        .map_err(|a| Failure::Usage(format!("{} is not UTF-8", a.to_string_lossy()), None))
    {
        Ok(args) => parse_args(args.into_iter()),
        Err(e) => Err(e),
    };
    let result = match result {
        Ok(Parsed::Run(opts)) => run(&opts),
        Ok(Parsed::Help(text)) => emit(text.as_bytes()),
        Ok(Parsed::Version) => emit(format!("seccompc {}\n", env!("CARGO_PKG_VERSION")).as_bytes()),
        Err(e) => Err(e),
    };
    exit_code(result)
}

fn exit_code(result: Result<(), Failure>) -> ExitCode {
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
pub(crate) enum Failure {
    /// The command line is wrong (exit status 2).
    Usage(String, Option<Command>),
    /// Printed as `error: …` (exit status 1).
    Error(String),
    /// Already printed: the policy's diagnostics (exit status 1).
    Reported,
}

/// Writes to standard output; a closed pipe (`| head`) is not an error.
pub(crate) fn emit(bytes: &[u8]) -> Result<(), Failure> {
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
        Command::Check => cmd_check(opts),
        Command::Groups => cmd_groups(opts),
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
    let order = opts.arch.endian();
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
                .filter(|a| a.endian() == other)
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
    #[allow(clippy::cast_possible_wrap, clippy::cast_sign_loss)]
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
    did_you_mean(name, abi.table().syscalls.iter().map(|s| s.name))
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
    let cache_len = caller.and_then(stats::cache_bitmap_len);
    if caller.is_some_and(|abi| stats::served_by_cache(&c.bpf, abi, nr)) {
        writeln!(
            out,
            "action cache: always allowed; the kernel skips the filter for {shown}"
        )
        .unwrap();
    } else {
        let why = match (caller, cache_len) {
            (None, _) => "no kernel caches an arch value it does not know".to_owned(),
            (Some(abi), None) => format!("kernels running {abi} have no action cache"),
            (Some(_), Some(len)) if nr >= len => {
                format!("the kernel's cache holds numbers 0..{len} only")
            }
            _ => "the program looks at more than the number and the arch".to_owned(),
        };
        writeln!(
            out,
            "action cache: not cached ({why}); the kernel runs the filter on every call"
        )
        .unwrap();
    }
    emit(out.as_bytes())
}

fn cmd_stats(opts: &Options) -> Result<(), Failure> {
    let src = read_policy(&opts.file)?;
    let c = compile(&src, opts.arch)?;
    let table = opts.arch.table();
    let s = stats::measure(&c.bpf, &c.policy.abis[0]).map_err(|e| {
        Failure::Error(format!(
            "internal error: the simulator stopped: {e} (this is a bug in seccomp-compiler)"
        ))
    })?;
    let (first, hi, mean, max) = (s.first, s.last, s.mean, s.max);
    let name = |nr: &u32| opts.arch.syscall_by_nr(*nr).map_or("?", |s| s.name);
    let unconditional: Vec<&str> = s.unconditional.iter().map(name).collect();
    let not_cached: Vec<&str> = s.not_cached.iter().map(name).collect();
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
    if stats::cache_bitmap_len(opts.arch).is_none() {
        writeln!(
            out,
            "action cache: none; kernels running {} have no action cache, so the filter runs \
             on every call ({} syscalls in its table, {} allowed unconditionally)",
            opts.arch,
            table.syscalls.len(),
            unconditional.len()
        )
        .unwrap();
    } else {
        writeln!(
            out,
            "action cache: {cached} of the {} syscalls the policy allows unconditionally are \
             always allowed without running the filter ({} syscalls in {}'s table)",
            unconditional.len(),
            table.syscalls.len(),
            opts.arch
        )
        .unwrap();
    }
    if !not_cached.is_empty() && stats::cache_bitmap_len(opts.arch).is_some() {
        writeln!(out, "not cached: {}", not_cached.join(", ")).unwrap();
    }
    emit(out.as_bytes())
}

fn cmd_check(opts: &Options) -> Result<(), Failure> {
    let src = read_policy(&opts.file)?;
    let arches: Vec<Arch> = if opts.all_arches {
        Arch::ALL.to_vec()
    } else {
        vec![opts.arch]
    };
    let width = arches.iter().map(|a| a.as_str().len()).max().unwrap_or(0);
    let mut out = String::new();
    let mut failed = 0;
    for &arch in &arches {
        match first_error(&src, arch) {
            Ok(c) => writeln!(
                out,
                "{:width$}  ok, {} instructions",
                arch.as_str(),
                c.bpf.len()
            )
            .unwrap(),
            Err(e) => {
                failed += 1;
                writeln!(out, "{:width$}  error: {e}", arch.as_str()).unwrap();
            }
        }
    }
    if arches.len() > 1 {
        writeln!(
            out,
            "{} of {} ABIs compile `{}`",
            arches.len() - failed,
            arches.len(),
            src.name
        )
        .unwrap();
    }
    emit(out.as_bytes())?;
    if failed == 0 {
        Ok(())
    } else {
        Err(Failure::Reported)
    }
}

fn cmd_groups(opts: &Options) -> Result<(), Failure> {
    let arch = opts.arch;
    let mut out = String::new();
    if opts.file.is_empty() {
        let names: Vec<&str> = groups::names().collect();
        let width = names.iter().map(|n| n.len()).max().unwrap_or(0) + 1;
        writeln!(out, "syscall groups (members on {arch} / in all):").unwrap();
        for name in names {
            let (name, help, members) = groups::find(name).expect("listed");
            let here = members.iter().filter(|m| arch.syscall(m).is_some()).count();
            writeln!(
                out,
                "  {:width$}  {here:>3}/{:<3}  {help}",
                format!("@{name}"),
                members.len()
            )
            .unwrap();
        }
        return emit(out.as_bytes());
    }
    let wanted = opts.file.strip_prefix('@').unwrap_or(&opts.file);
    let Some((name, help, members)) = groups::find(wanted) else {
        let hint = did_you_mean(wanted, groups::names())
            .map_or_else(String::new, |s| format!("; did you mean `@{s}`?"));
        return Err(Failure::Error(format!(
            "unknown group `@{wanted}`{hint} (`seccompc groups` lists them)"
        )));
    };
    let (here, absent): (Vec<&str>, Vec<&str>) =
        members.iter().partition(|m| arch.syscall(m).is_some());
    writeln!(out, "@{name}: {help}").unwrap();
    writeln!(out, "{} members on {arch}:", here.len()).unwrap();
    for m in &here {
        writeln!(out, "  {m}").unwrap();
    }
    if !absent.is_empty() {
        writeln!(
            out,
            "absent on {arch}, skipped there ({}): {}",
            absent.len(),
            absent.join(", ")
        )
        .unwrap();
    }
    emit(out.as_bytes())
}
