//! The classic-BPF vocabulary shared by the seccomp compiler and runtime.
//!
//! `#![no_std]`, no allocation, no dependencies: the instruction type
//! ([`SockFilter`], layout-compatible with the kernel's `struct sock_filter`), the
//! opcodes seccomp accepts, the layout of `struct seccomp_data`, the return
//! values ([`ret`]), an exact simulator ([`simulate`]), the kernel's acceptance
//! rules ([`check()`]), an emulation of the kernel's action cache
//! ([`cache::is_const_allow`]), a disassembler ([`disasm`]) and the description of
//! every ABI ([`arch`]).
//!
//! ```
//! use seccomp_bpf::{SockFilter, SeccompData, Endian, op, ret, simulate};
//! let prog = [
//!     SockFilter::stmt(op::LD_W_ABS, seccomp_bpf::data::NR),
//!     SockFilter::jump(op::JEQ_K, 39, 0, 1),
//!     SockFilter::stmt(op::RET_K, ret::ALLOW),
//!     SockFilter::stmt(op::RET_K, ret::KILL_PROCESS),
//! ];
//! let data = SeccompData { nr: 39, arch: 0xc000_003e, ..SeccompData::default() };
//! assert_eq!(simulate(&prog, &data, Endian::Little).unwrap(), ret::ALLOW);
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod arch;
pub mod cache;
pub mod check;
pub mod data;
pub mod disasm;
mod insn;
pub mod ret;
mod sim;

pub use check::{CheckError, check};
pub use data::{Endian, SeccompData};
pub use insn::{SockFilter, op};
pub use sim::{SimError, simulate, simulate_counted};

/// The most instructions the kernel accepts in one program (`BPF_MAXINSNS`).
pub const MAX_INSNS: usize = 4096;
