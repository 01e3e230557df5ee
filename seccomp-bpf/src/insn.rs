/// One classic-BPF instruction, laid out exactly as the kernel's `struct sock_filter`.
///
/// ```
/// use seccomp_bpf::{SockFilter, op};
/// let i = SockFilter::jump(op::JEQ_K, 0xc000_003e, 1, 0);
/// assert_eq!((i.code, i.jt, i.jf, i.k), (0x15, 1, 0, 0xc000_003e));
/// ```
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SockFilter {
    /// The opcode (class | size | mode, or class | op | source).
    pub code: u16,
    /// Jump offset when the condition holds.
    pub jt: u8,
    /// Jump offset when it does not.
    pub jf: u8,
    /// The constant operand.
    pub k: u32,
}

impl SockFilter {
    /// A non-jump instruction (`BPF_STMT`).
    #[must_use]
    pub const fn stmt(code: u16, k: u32) -> Self {
        SockFilter {
            code,
            jt: 0,
            jf: 0,
            k,
        }
    }

    /// A conditional jump (`BPF_JUMP`).
    #[must_use]
    pub const fn jump(code: u16, k: u32, jt: u8, jf: u8) -> Self {
        SockFilter { code, jt, jf, k }
    }

    /// The 8 bytes of the instruction in the given byte order (for raw program files).
    #[must_use]
    pub fn to_bytes(self, endian: crate::Endian) -> [u8; 8] {
        let (c, k) = match endian {
            crate::Endian::Little => (self.code.to_le_bytes(), self.k.to_le_bytes()),
            crate::Endian::Big => (self.code.to_be_bytes(), self.k.to_be_bytes()),
        };
        [c[0], c[1], self.jt, self.jf, k[0], k[1], k[2], k[3]]
    }

    /// Reads an instruction back from [`SockFilter::to_bytes`].
    #[must_use]
    pub fn from_bytes(b: [u8; 8], endian: crate::Endian) -> Self {
        let (code, k) = match endian {
            crate::Endian::Little => (
                u16::from_le_bytes([b[0], b[1]]),
                u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            ),
            crate::Endian::Big => (
                u16::from_be_bytes([b[0], b[1]]),
                u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            ),
        };
        SockFilter {
            code,
            jt: b[2],
            jf: b[3],
            k,
        }
    }
}

/// Opcodes: the classic-BPF encoding (`linux/filter.h`, `linux/bpf_common.h`).
pub mod op {
    /// Instruction class: load into A.
    pub const LD: u16 = 0x00;
    /// Instruction class: load into X.
    pub const LDX: u16 = 0x01;
    /// Instruction class: store A.
    pub const ST: u16 = 0x02;
    /// Instruction class: store X.
    pub const STX: u16 = 0x03;
    /// Instruction class: arithmetic.
    pub const ALU: u16 = 0x04;
    /// Instruction class: jumps.
    pub const JMP: u16 = 0x05;
    /// Instruction class: return.
    pub const RET: u16 = 0x06;
    /// Instruction class: register moves.
    pub const MISC: u16 = 0x07;

    /// Size: 32-bit word.
    pub const W: u16 = 0x00;
    /// Size: 16-bit half word.
    pub const H: u16 = 0x08;
    /// Size: byte.
    pub const B: u16 = 0x10;
    /// Mode: immediate.
    pub const IMM: u16 = 0x00;
    /// Mode: absolute offset into the input.
    pub const ABS: u16 = 0x20;
    /// Mode: offset relative to X.
    pub const IND: u16 = 0x40;
    /// Mode: scratch memory.
    pub const MEM: u16 = 0x60;
    /// Mode: input length.
    pub const LEN: u16 = 0x80;
    /// Mode: IP header length (`ldx msh`).
    pub const MSH: u16 = 0xa0;

    /// ALU/jump operation.
    pub const ADD: u16 = 0x00;
    /// ALU/jump operation.
    pub const SUB: u16 = 0x10;
    /// ALU/jump operation.
    pub const MUL: u16 = 0x20;
    /// ALU/jump operation.
    pub const DIV: u16 = 0x30;
    /// ALU/jump operation.
    pub const OR: u16 = 0x40;
    /// ALU/jump operation.
    pub const AND: u16 = 0x50;
    /// ALU/jump operation.
    pub const LSH: u16 = 0x60;
    /// ALU/jump operation.
    pub const RSH: u16 = 0x70;
    /// ALU/jump operation.
    pub const NEG: u16 = 0x80;
    /// ALU/jump operation.
    pub const MOD: u16 = 0x90;
    /// ALU/jump operation.
    pub const XOR: u16 = 0xa0;
    /// Jump operation: always.
    pub const JA: u16 = 0x00;
    /// Jump operation: A == operand.
    pub const JEQ: u16 = 0x10;
    /// Jump operation: A > operand (unsigned).
    pub const JGT: u16 = 0x20;
    /// Jump operation: A >= operand (unsigned).
    pub const JGE: u16 = 0x30;
    /// Jump operation: A & operand != 0.
    pub const JSET: u16 = 0x40;
    /// Source: the constant `k`.
    pub const K: u16 = 0x00;
    /// Source: the register X.
    pub const X: u16 = 0x08;
    /// Return source: A.
    pub const A: u16 = 0x10;
    /// `tax`
    pub const TAX: u16 = 0x00;
    /// `txa`
    pub const TXA: u16 = 0x80;

    /// `ld [k]`: A = 32-bit word of `seccomp_data` at offset k.
    pub const LD_W_ABS: u16 = LD | W | ABS;
    /// `ld #k`
    pub const LD_IMM: u16 = LD | IMM;
    /// `and #k`
    pub const ALU_AND_K: u16 = ALU | AND | K;
    /// `xor #k`
    pub const ALU_XOR_K: u16 = ALU | XOR | K;
    /// `ja k`
    pub const JA_K: u16 = JMP | JA;
    /// `jeq #k, jt, jf`
    pub const JEQ_K: u16 = JMP | JEQ | K;
    /// `jgt #k, jt, jf`
    pub const JGT_K: u16 = JMP | JGT | K;
    /// `jge #k, jt, jf`
    pub const JGE_K: u16 = JMP | JGE | K;
    /// `jset #k, jt, jf`
    pub const JSET_K: u16 = JMP | JSET | K;
    /// `ret #k`
    pub const RET_K: u16 = RET | K;
    /// `ret a`
    pub const RET_A: u16 = RET | A;

    /// The class bits of an opcode.
    #[must_use]
    pub const fn class(code: u16) -> u16 {
        code & 0x07
    }
    /// The size bits of a load.
    #[must_use]
    pub const fn size(code: u16) -> u16 {
        code & 0x18
    }
    /// The mode bits of a load.
    #[must_use]
    pub const fn mode(code: u16) -> u16 {
        code & 0xe0
    }
    /// The operation bits of an ALU or jump instruction.
    #[must_use]
    pub const fn operation(code: u16) -> u16 {
        code & 0xf0
    }
    /// The source bit of an ALU or jump instruction.
    #[must_use]
    pub const fn src(code: u16) -> u16 {
        code & 0x08
    }
}
