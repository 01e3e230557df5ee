//! What a program costs, measured in the simulator: its length, the instructions it
//! executes per syscall number, and which of the syscalls the policy allows whatever
//! their arguments the kernel's action cache serves without running it.
//!
//! Not a stage of the pipeline: `seccompc stats` and the benchmark measure programs
//! with it, ours and other compilers' alike (for the same policy and ABI).

use seccomp_bpf::{SeccompData, SimError, SockFilter, cache, simulate_counted};

use crate::Arch;
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
    /// Those of them the action cache would not serve ([`served_by_cache`]).
    pub not_cached: Vec<u32>,
}

/// How many syscall numbers the kernel's action cache holds for `arch`: `None` where
/// a kernel running the ABI has no cache.
///
/// The cache (`kernel/seccomp.c`, Linux 5.11+) exists only where the arch's
/// `asm/seccomp.h` defines `SECCOMP_ARCH_NATIVE`, and holds one bitmap of
/// `SECCOMP_ARCH_NATIVE_NR` bits for the native arch value and one of
/// `SECCOMP_ARCH_COMPAT_NR` for the compat one; `seccomp_cache_check_allow_bitmap`
/// answers "not cached" for `nr < 0` and `nr >= bitmap_size`. Those sizes are
/// `NR_syscalls` (`IA32_NR_syscalls` for i386 on x86_64, `__NR_compat32_syscalls` for
/// arm on arm64): one past the last number of the ABI's table
/// (`scripts/syscallhdr.sh`), rounded up on arm (`arch/arm/tools/syscallnr.sh`, to a
/// multiple of 4 while the table is under 1024). So:
///
/// - mips (o32, n64, n32): `arch/mips/include/asm/seccomp.h` defines no
///   `SECCOMP_ARCH_NATIVE`; the kernel never caches.
/// - x32 reports `AUDIT_ARCH_X86_64`, so it is looked up in x86_64's bitmap, which
///   no x32 number (`__X32_SYSCALL_BIT` set) fits: never cached
///   (`arch/x86/include/asm/seccomp.h` says so).
/// - arm's private calls (`0xf0000`…, `__ARM_NR_BASE`) lie past the bitmap.
///
/// ```
/// use seccomp_compiler::{Arch, stats::cache_bitmap_len};
/// assert_eq!(cache_bitmap_len(Arch::Mips64), None);
/// let x86_64 = cache_bitmap_len(Arch::X86_64).unwrap();
/// assert!(x86_64 > 300 && x86_64 < 0x4000_0000);
/// assert_eq!(cache_bitmap_len(Arch::X32), Some(x86_64));
/// assert!(cache_bitmap_len(Arch::Arm).unwrap() < 0xf_0000);
/// ```
#[must_use]
pub fn cache_bitmap_len(arch: Arch) -> Option<u32> {
    let last_regular = |arch: Arch, below: u32| {
        arch.table()
            .syscalls
            .iter()
            .map(|s| s.nr)
            .filter(|&nr| nr < below)
            .max()
    };
    match arch {
        Arch::Mips
        | Arch::Mipsel
        | Arch::Mips64
        | Arch::Mipsel64
        | Arch::Mips64n32
        | Arch::Mipsel64n32 => None,
        Arch::X32 => cache_bitmap_len(Arch::X86_64),
        Arch::Arm => {
            // arch/arm/tools/syscallnr.sh: nr = last + 1, aligned to `align`, which
            // grows by 4x while nr / (256 * align) > 0.
            let nr = last_regular(arch, 0xf_0000)? + 1;
            let mut align = 1;
            while nr / (256 * align) > 0 {
                align *= 4;
            }
            Some(nr.div_ceil(align) * align)
        }
        _ => Some(last_regular(arch, u32::MAX)? + 1),
    }
}

/// Whether the kernel's action cache serves `nr` made by `arch` without running
/// `bpf`: the number fits the cache ([`cache_bitmap_len`]) and the program allows it
/// knowing only `nr` and `arch` ([`cache::is_const_allow`]).
///
/// ```
/// use seccomp_compiler::{Arch, compile_resolved, resolve, stats::served_by_cache, syntax};
/// let ast = syntax::parse_str("getpid; default => allow;").unwrap();
/// let policy = resolve::resolve(&ast, Arch::X86_64).unwrap();
/// let bpf = compile_resolved(&policy).unwrap().to_sock_filters().unwrap();
/// assert!(served_by_cache(&bpf, Arch::X86_64, 39));
/// assert!(!served_by_cache(&bpf, Arch::X86_64, 100_000)); // past the table
/// assert!(!served_by_cache(&bpf, Arch::X86_64, u32::MAX)); // -1
/// ```
#[must_use]
pub fn served_by_cache(bpf: &[SockFilter], arch: Arch, nr: u32) -> bool {
    cache_bitmap_len(arch).is_some_and(|len| nr < len)
        && cache::is_const_allow(bpf, arch.audit_arch(), nr)
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
        .filter(|&nr| !served_by_cache(bpf, arch, nr))
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
