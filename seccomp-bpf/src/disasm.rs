//! Readable assembly for a seccomp program.
//!
//! ```
//! use seccomp_bpf::{SockFilter, op, ret, Endian, disasm::Disasm};
//! let prog = [
//!     SockFilter::stmt(op::LD_W_ABS, 4),
//!     SockFilter::jump(op::JEQ_K, 0xc000_003e, 0, 1),
//!     SockFilter::stmt(op::RET_K, ret::ALLOW),
//!     SockFilter::stmt(op::RET_K, ret::KILL_PROCESS),
//! ];
//! let text = Disasm::new(&prog, Endian::Little).to_string();
//! assert_eq!(text.lines().next().unwrap(), "   0: ld   [4]                  ; arch");
//! assert!(text.contains("jeq  #0xc000003e, 2, 3"));
//! assert!(text.contains("ret  allow"));
//! ```

use core::fmt::{self, Write};

use crate::data::{Endian, Field, Half};
use crate::insn::{SockFilter, op};
use crate::ret::Action;

/// A program with the byte order its loads are read in; `Display` prints it one
/// instruction a line, jump targets as absolute instruction numbers.
#[derive(Clone, Copy, Debug)]
pub struct Disasm<'a> {
    prog: &'a [SockFilter],
    endian: Endian,
}

impl<'a> Disasm<'a> {
    /// Disassembles `prog`, reading argument halves in `endian`.
    #[must_use]
    pub fn new(prog: &'a [SockFilter], endian: Endian) -> Self {
        Disasm { prog, endian }
    }
}

struct Field2(Field);

impl fmt::Display for Field2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let half = |h: Half| if h == Half::Lo { "lo" } else { "hi" };
        match self.0 {
            Field::Nr => f.write_str("nr"),
            Field::Arch => f.write_str("arch"),
            Field::Ip(h) => write!(f, "instruction_pointer.{}", half(h)),
            Field::Arg(i, h) => write!(f, "args[{i}].{}", half(h)),
        }
    }
}

/// Writes one instruction (`pc` is its index, for absolute jump targets).
///
/// # Errors
///
/// Only those of the writer.
pub fn write_insn(w: &mut dyn Write, pc: usize, insn: SockFilter, endian: Endian) -> fmt::Result {
    let SockFilter { code, jt, jf, k } = insn;
    let target = |off: usize| pc + 1 + off;
    let mut ops = Buf::new();
    let (mnemonic, comment): (&str, Option<Field>) = match code {
        op::LD_W_ABS => {
            write!(ops, "[{k}]")?;
            ("ld", Field::at(k, endian))
        }
        0x80 => ("ld", None).tap(|| write!(ops, "len"))?,
        0x81 => ("ldx", None).tap(|| write!(ops, "len"))?,
        op::LD_IMM => ("ld", None).tap(|| write!(ops, "#{k:#x}"))?,
        0x01 => ("ldx", None).tap(|| write!(ops, "#{k:#x}"))?,
        0x60 => ("ld", None).tap(|| write!(ops, "M[{k}]"))?,
        0x61 => ("ldx", None).tap(|| write!(ops, "M[{k}]"))?,
        op::ST => ("st", None).tap(|| write!(ops, "M[{k}]"))?,
        op::STX => ("stx", None).tap(|| write!(ops, "M[{k}]"))?,
        0x07 => ("tax", None),
        0x87 => ("txa", None),
        0x84 => ("neg", None),
        op::JA_K => ("ja", None).tap(|| write!(ops, "{}", target(k as usize)))?,
        op::RET_K => ("ret", None).tap(|| write!(ops, "{}", Action::from_ret(k)))?,
        op::RET_A => ("ret", None).tap(|| write!(ops, "a"))?,
        _ if op::class(code) == op::ALU => {
            let m = match op::operation(code) {
                op::ADD => "add",
                op::SUB => "sub",
                op::MUL => "mul",
                op::DIV => "div",
                op::AND => "and",
                op::OR => "or",
                op::XOR => "xor",
                op::LSH => "lsh",
                op::RSH => "rsh",
                _ => "alu?",
            };
            if op::src(code) == op::X {
                write!(ops, "x")?;
            } else {
                write!(ops, "#{k:#x}")?;
            }
            (m, None)
        }
        _ if op::class(code) == op::JMP => {
            let m = match op::operation(code) {
                op::JEQ => "jeq",
                op::JGT => "jgt",
                op::JGE => "jge",
                op::JSET => "jset",
                _ => "jmp?",
            };
            if op::src(code) == op::X {
                write!(ops, "x")?;
            } else {
                write!(ops, "#{k:#x}")?;
            }
            write!(
                ops,
                ", {}, {}",
                target(usize::from(jt)),
                target(usize::from(jf))
            )?;
            (m, None)
        }
        _ => ("???", None).tap(|| write!(ops, "code={code:#06x} jt={jt} jf={jf} k={k:#x}"))?,
    };
    let line_start = Buf::from_fmt(format_args!("{pc:>4}: {mnemonic:<4} {}", ops.as_str()));
    match comment {
        Some(field) => write!(w, "{:<32}; {}", line_start.as_str(), Field2(field)),
        None => w.write_str(line_start.as_str().trim_end()),
    }
}

trait Tap: Sized {
    fn tap(self, f: impl FnOnce() -> fmt::Result) -> Result<Self, fmt::Error> {
        f()?;
        Ok(self)
    }
}
impl<T> Tap for T {}

/// A small fixed buffer, so disassembly needs no allocation.
struct Buf {
    bytes: [u8; 96],
    len: usize,
}

impl Buf {
    fn new() -> Self {
        Buf {
            bytes: [0; 96],
            len: 0,
        }
    }
    fn from_fmt(args: fmt::Arguments<'_>) -> Self {
        let mut b = Buf::new();
        let _ = b.write_fmt(args);
        b
    }
    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl Write for Buf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > self.bytes.len() {
            return Err(fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl fmt::Display for Disasm<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (pc, insn) in self.prog.iter().enumerate() {
            write_insn(f, pc, *insn, self.endian)?;
            f.write_char('\n')?;
        }
        Ok(())
    }
}
