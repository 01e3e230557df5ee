//! What a program costs, measured in the simulator: its length, the instructions it
//! executes per syscall number, and which of the syscalls the policy allows whatever
//! their arguments the kernel's action cache serves without running it.
//!
//! Not a stage of the pipeline: `seccompc stats` and the benchmark measure programs
//! with it, ours and other compilers' alike (for the same policy and ABI).

use seccomp_bpf::{SeccompData, SimError, SockFilter, cache, simulate_counted};

use crate::ir::Action;
use crate::resolved::AbiRules;

/// The figures of one program for one ABI of a policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// Instructions.
    pub len: usize,
    /// The numbers measured, `first ..= last`: from 0 (or, for ABIs that number
    /// from an offset, mips's 4000… and x32's `0x4000_0000`…, from their first) to the
    /// highest number of the ABI's table.
    pub first: u32,
    /// See `first`.
    pub last: u32,
    /// Instructions executed per number, with every argument 0, on average.
    pub mean: f64,
    /// And at most.
    pub max: usize,
    /// The syscalls of the table the policy allows whatever their arguments.
    pub unconditional: Vec<u32>,
    /// Those of them the action cache would not serve (`seccomp_is_const_allow`).
    pub not_cached: Vec<u32>,
}

/// Whether every call of `nr` is allowed, whatever its arguments: every rule that
/// can match is an `allow`, and so is the default if no rule is unconditional.
///
/// ```
/// use seccomp_compiler::{Arch, resolve, stats, syntax};
/// let ast = syntax::parse_str("read; write: fd == 1; default => kill;").unwrap();
/// let abi = &resolve::resolve(&ast, Arch::X86_64).unwrap().abis[0];
/// assert!(stats::allowed_unconditionally(abi, 0)); // read
/// assert!(!stats::allowed_unconditionally(abi, 1)); // write
/// assert!(!stats::allowed_unconditionally(abi, 2)); // open: the default
/// ```
#[must_use]
pub fn allowed_unconditionally(abi: &AbiRules, nr: u32) -> bool {
    let Some(syscall) = abi.syscalls.get(&nr) else {
        return abi.default == Action::Allow;
    };
    for rule in &syscall.rules {
        if rule.action != Action::Allow {
            return false;
        }
        if rule.predicate.is_none() {
            return true;
        }
    }
    abi.default == Action::Allow
}

/// Measures `bpf`, a program for `abi`'s policy (compiled by us or by anyone else).
///
/// ```
/// use seccomp_compiler::{Arch, compile_resolved, resolve, stats, syntax};
/// let ast = syntax::parse_str("read; write: fd == 1; default => kill;").unwrap();
/// let policy = resolve::resolve(&ast, Arch::X86_64).unwrap();
/// let bpf = compile_resolved(&policy).unwrap().to_sock_filters().unwrap();
/// let s = stats::measure(&bpf, &policy.abis[0]).unwrap();
/// assert_eq!((s.first, s.unconditional.len(), s.not_cached.len()), (0, 1, 0));
/// assert!(s.max <= bpf.len());
/// ```
///
/// # Errors
///
/// Where the simulator stopped, for a program that runs off its end.
#[allow(clippy::cast_possible_wrap, clippy::cast_precision_loss)]
pub fn measure(bpf: &[SockFilter], abi: &AbiRules) -> Result<Stats, SimError> {
    let arch = abi.arch;
    let table = arch.table();
    let endian = arch.endian();
    let audit = arch.audit_arch();
    let lo = table.syscalls.iter().map(|s| s.nr).min().unwrap_or(0);
    let last = table.syscalls.iter().map(|s| s.nr).max().unwrap_or(0);
    let first = if lo < 1000 { 0 } else { lo };
    let (mut total, mut max) = (0usize, 0usize);
    for nr in first..=last {
        let data = SeccompData {
            nr: nr as i32,
            arch: audit,
            instruction_pointer: 0,
            args: [0; 6],
        };
        let (_, count) = simulate_counted(bpf, &data, endian)?;
        total += count;
        max = max.max(count);
    }
    let unconditional: Vec<u32> = table
        .syscalls
        .iter()
        .map(|s| s.nr)
        .filter(|&nr| allowed_unconditionally(abi, nr))
        .collect();
    let not_cached = unconditional
        .iter()
        .copied()
        .filter(|&nr| !cache::is_const_allow(bpf, audit, nr))
        .collect();
    Ok(Stats {
        len: bpf.len(),
        first,
        last,
        mean: total as f64 / (f64::from(last - first) + 1.0),
        max,
        unconditional,
        not_cached,
    })
}
