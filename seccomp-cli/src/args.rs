//! The command line: usage texts and parsing, by hand to keep the build small.

use std::fmt::Write as _;

use seccomp_compiler::Arch;

use crate::Failure;

/// This host's ABI: the generated description's (`seccomp_bpf::arch::NATIVE`), the
/// one the runtime and the `seccomp!` macro select too.
fn host_arch() -> Option<Arch> {
    Arch::native()
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
  check POLICY_FILE     compile for every ABI (or one): a line each, ok or the first error
  groups [NAME]         the syscall groups (`@name`), or one group's members on an ABI
  learn -- CMD [ARGS…]  run a command, record its syscalls, write the policy it needs
  run POLICY -- CMD     run a command under a policy
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
pub(crate) enum Command {
    Compile,
    Disasm,
    Simulate,
    Stats,
    Check,
    Groups,
}

impl Command {
    const ALL: [Command; 6] = [
        Command::Compile,
        Command::Disasm,
        Command::Simulate,
        Command::Stats,
        Command::Check,
        Command::Groups,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Command::Compile => "compile",
            Command::Disasm => "disasm",
            Command::Simulate => "simulate",
            Command::Stats => "stats",
            Command::Check => "check",
            Command::Groups => "groups",
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
            Command::Check => format!(
                "\
seccompc check: does a policy compile for every ABI?

Usage: seccompc check POLICY_FILE [--arch all|ABI]

Compiles the policy for every ABI seccompc knows (or only --arch's) and prints
one line per ABI: `ok` with the program's length, or the first error at
FILE:LINE:COLUMN. A name that exists on some ABIs only fails on the others: write
`name?` to skip it where it is absent. The exit status is 1 if any ABI fails.

Options:
  --arch all|ABI      the ABIs to compile for (default: all)
  -h, --help          this text

ABIs:
{abis}",
                abis = abi_list("  "),
            ),
            Command::Groups => format!(
                "\
seccompc groups: the syscall groups a policy can name as `@NAME`

Usage: seccompc groups [NAME] [--arch ABI]

Without NAME: every group, with its description and how many of its members
the ABI has. With NAME (`system-service`, `@basic-io`, `rust_runtime`; `-` and
`_` are alike): the group's members on the ABI, one a line, then those the ABI
lacks (a policy skips them there).

systemd's groups (SystemCallFilter=) have systemd's names and members; the
project's own are @memory, @rust_runtime and @time.

Options:
  --arch ABI          the ABI whose table is used ({arch})
  -h, --help          this text
"
            ),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Asm,
    Json,
    Raw,
}

pub(crate) struct Options {
    pub(crate) command: Command,
    pub(crate) file: String,
    pub(crate) arch: Arch,
    /// `check` without `--arch`, or with `--arch all`.
    pub(crate) all_arches: bool,
    pub(crate) format: Format,
    pub(crate) out: Option<String>,
    pub(crate) nr: Option<String>,
    pub(crate) args: [u64; 6],
    /// `--audit-arch`: the value, and the ABI when given by name.
    pub(crate) audit_arch: Option<(u32, Option<Arch>)>,
}

pub(crate) enum Parsed {
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

pub(crate) fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Parsed, Failure> {
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
        "unknown command `{name}`; the commands are `compile`, `disasm`, `simulate`, `stats`, \
         `check`, `groups`, `learn` and `run`"
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
    let mut all_arches = command == Command::Check;
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
            "--arch" if command == Command::Check && value == "all" => all_arches = true,
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
    if command == Command::Check && arch.is_some() {
        all_arches = false;
    }
    let file = match (file, command) {
        (Some(f), _) => Some(f),
        // `groups` without a NAME lists them all.
        (None, Command::Groups) => Some(String::new()),
        (None, _) => None,
    };
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
    let arch = if all_arches {
        arch.or_else(host_arch).or(Some(Arch::X86_64))
    } else {
        arch.or_else(host_arch)
    };
    let Some(arch) = arch else {
        return Err(usage(format!(
            "this host's ABI is not one seccompc knows; give `--arch ABI`, one of:\n{}",
            abi_list("  ")
        )));
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
        all_arches,
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
pub(crate) fn parse_value(s: &str) -> Result<u64, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_decimal_hex_or_negative() {
        assert_eq!(parse_value("42"), Ok(42));
        assert_eq!(parse_value("0x2a"), Ok(42));
        assert_eq!(parse_value("0XFFFF_FFFF"), Ok(0xffff_ffff));
        assert_eq!(parse_value("-1"), Ok(u64::MAX));
        assert_eq!(parse_value("-0x10"), Ok(0u64.wrapping_sub(16)));
        assert_eq!(parse_value("-9223372036854775808"), Ok(1 << 63));
        assert!(parse_value("-9223372036854775809").is_err());
        assert!(parse_value("18446744073709551616").is_err());
        assert!(parse_value("x").is_err());
        assert_eq!(parse_hex32("c000003e"), Ok(0xc000_003e));
        assert_eq!(parse_hex32("0x40000003"), Ok(0x4000_0003));
    }

    #[test]
    fn the_abi_list_fits_a_terminal() {
        let list = abi_list("  ");
        assert!(list.lines().all(|l| l.len() <= 80), "{list}");
        for a in Arch::ALL {
            assert!(list.contains(a.as_str()));
        }
    }
}
