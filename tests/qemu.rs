//! The policies' meaning against the real kernels of other architectures, booted
//! under `qemu-system`: random and attacker policies are compiled on the host, a
//! C harness (`tests/qemu/guest.c`, cross-compiled and statically linked) loads
//! each program in the guest and makes one syscall under it, and every outcome the
//! kernel reports is compared with what the policy means (`interp::evaluate`) and
//! what the simulator predicts.
//!
//! Off unless asked for: `SECCOMP_QEMU=aarch64,arm,s390x` (or `all`) runs those
//! ABIs, `SECCOMP_QEMU_CASES=N` sets the cases per ABI (default 2000),
//! `SECCOMP_QEMU_SEED=S` draws other policies, `SECCOMP_QEMU_CACHE=DIR` is where
//! kernels are kept (default `$HOME/.cache/seccomp-qemu`). An ABI that is asked
//! for but whose emulator, cross compiler or kernel is missing fails, saying what
//! to install; see tests/README.md.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use seccomp_bpf::ret::Action;
use seccomp_bpf::{SeccompData, SockFilter, check, simulate};
use seccomp_compiler::tables::ParamClass;
use seccomp_compiler::{Arch, compile_resolved, interp, resolve, syntax};

/// The errno the harness's marker filter returns for a syscall the case's program
/// lets through (see guest.c); policies never use it.
const MARKER_ERRNO: u16 = 4095;

/// A kernel and the machine that boots it.
struct Kernel {
    /// Debian's architecture, suite and kernel metapackage.
    debarch: &'static str,
    suite: &'static str,
    package: &'static str,
    /// The emulator and its machine options.
    qemu: &'static str,
    qemu_package: &'static str,
    machine: &'static [&'static str],
    console: &'static str,
    /// The tasks the harness runs on it: the first is the kernel's own ABI.
    tasks: &'static [Task],
    /// ABIs no task of this kernel has whose programs the tasks also load: their
    /// calls must meet `bad_arch` (the sibling of the same family and the other
    /// byte order where Debian has no kernel for it, else one of the same word size).
    foreign: &'static [Arch],
}

/// One ABI of user space on a kernel.
struct Task {
    arch: Arch,
    cc: &'static str,
    cc_packages: &'static str,
    cflags: &'static [&'static str],
}

const KERNELS: &[Kernel] = &[
    Kernel {
        debarch: "arm64",
        suite: "bookworm",
        package: "linux-image-arm64",
        qemu: "qemu-system-aarch64",
        qemu_package: "qemu-system-arm",
        machine: &["-M", "virt", "-cpu", "cortex-a57", "-m", "512"],
        console: "ttyAMA0",
        foreign: &[],
        tasks: &[
            Task {
                arch: Arch::Aarch64,
                cc: "aarch64-linux-gnu-gcc",
                cc_packages: "gcc-aarch64-linux-gnu libc6-dev-arm64-cross",
                cflags: &[],
            },
            Task {
                arch: Arch::Arm,
                cc: "arm-linux-gnueabihf-gcc",
                cc_packages: "gcc-arm-linux-gnueabihf libc6-dev-armhf-cross",
                cflags: &[],
            },
        ],
    },
    Kernel {
        debarch: "s390x",
        suite: "bookworm",
        package: "linux-image-s390x",
        qemu: "qemu-system-s390x",
        qemu_package: "qemu-system-misc",
        machine: &["-M", "s390-ccw-virtio", "-m", "512"],
        console: "ttysclp0",
        foreign: &[Arch::S390],
        tasks: &[Task {
            arch: Arch::S390x,
            cc: "s390x-linux-gnu-gcc",
            cc_packages: "gcc-s390x-linux-gnu libc6-dev-s390x-cross",
            cflags: &[],
        }],
    },
    Kernel {
        debarch: "ppc64el",
        suite: "bookworm",
        package: "linux-image-powerpc64le",
        qemu: "qemu-system-ppc64",
        qemu_package: "qemu-system-ppc",
        machine: &[
            "-M", "pseries", "-cpu", "POWER9", "-m", "1024", "-vga", "none",
        ],
        console: "hvc0",
        foreign: &[Arch::Ppc64],
        tasks: &[Task {
            arch: Arch::Ppc64le,
            cc: "powerpc64le-linux-gnu-gcc",
            cc_packages: "gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross",
            cflags: &[],
        }],
    },
    Kernel {
        // Debian 12 has no riscv64 port; Debian 13's kernel boots with QEMU's OpenSBI.
        debarch: "riscv64",
        suite: "trixie",
        package: "linux-image-riscv64",
        qemu: "qemu-system-riscv64",
        qemu_package: "qemu-system-misc opensbi",
        machine: &["-M", "virt", "-m", "512"],
        console: "ttyS0",
        foreign: &[Arch::Loongarch64],
        tasks: &[Task {
            arch: Arch::Riscv64,
            cc: "riscv64-linux-gnu-gcc",
            cc_packages: "gcc-riscv64-linux-gnu libc6-dev-riscv64-cross",
            cflags: &[],
        }],
    },
    Kernel {
        debarch: "mips64el",
        suite: "bookworm",
        package: "linux-image-5kc-malta",
        qemu: "qemu-system-mips64el",
        qemu_package: "qemu-system-mips",
        machine: &["-M", "malta", "-cpu", "5KEc", "-m", "512", "-vga", "none"],
        console: "ttyS0",
        foreign: &[Arch::Mips64],
        tasks: &[
            Task {
                arch: Arch::Mipsel64,
                cc: "mips64el-linux-gnuabi64-gcc",
                cc_packages: "gcc-mips64el-linux-gnuabi64 libc6-dev-mips64el-cross",
                cflags: &[],
            },
            Task {
                arch: Arch::Mipsel64n32,
                cc: "mips64el-linux-gnuabi64-gcc",
                cc_packages: "gcc-mips64el-linux-gnuabi64 libc6-dev-mipsn32-mips64el-cross libn32gcc-12-dev-mips64el-cross",
                cflags: &["-mabi=n32"],
            },
            Task {
                arch: Arch::Mipsel,
                cc: "mipsel-linux-gnu-gcc",
                cc_packages: "gcc-mipsel-linux-gnu libc6-dev-mipsel-cross",
                cflags: &[],
            },
        ],
    },
];

/// Writes to the test's standard error past libtest's capture: what was skipped and
/// what was proven is seen in a plain `cargo test`.
fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a number")),
        Err(_) => default,
    }
}

/// The ABIs `SECCOMP_QEMU` asks for, `None` when it is unset.
fn wanted() -> Option<Vec<Arch>> {
    let v = std::env::var("SECCOMP_QEMU").ok()?;
    let all: Vec<Arch> = KERNELS
        .iter()
        .flat_map(|k| k.tasks.iter().map(|t| t.arch))
        .collect();
    if v.trim() == "all" || v.trim() == "1" {
        return Some(all);
    }
    Some(
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                let a = Arch::from_name(s).unwrap_or_else(|| panic!("SECCOMP_QEMU: no ABI `{s}`"));
                assert!(
                    all.contains(&a),
                    "SECCOMP_QEMU: the QEMU suite boots no kernel for `{s}` (see tests/README.md)"
                );
                a
            })
            .collect(),
    )
}

// ---------------------------------------------------------------------------
// Policies: the meaning suite's generator (seccomp-compiler/tests/meaning.rs), and
// attacker's policies.

/// splitmix64: small, deterministic, good enough to spread cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// (bits, signed) of a parameter class on an ABI, `None` if it cannot be named.
fn view(class: ParamClass, reg_bits: u8) -> Option<(u8, bool)> {
    Some(match class {
        ParamClass::Int32 => (32, true),
        ParamClass::Uint32 => (32, false),
        ParamClass::Uint16 => (16, false),
        ParamClass::Long => (reg_bits, true),
        ParamClass::Ulong | ParamClass::Pointer => (reg_bits, false),
        ParamClass::Int64 => (64, true),
        ParamClass::Uint64 => (64, false),
        ParamClass::Split64 | ParamClass::AfterSplit64 => return None,
    })
}

fn literal(rng: &mut Rng, bits: u8, signed: bool) -> i128 {
    let (min, max) = if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    };
    let v = match rng.below(6) {
        0 => min,
        1 => max,
        2 => i128::from(rng.below(8) as u8),
        3 => -(i128::from(rng.below(8) as u8)),
        4 => i128::from(rng.next()) & ((1i128 << bits) - 1),
        _ => i128::from(1u64 << rng.below(usize::from(bits))),
    };
    v.clamp(min, max)
}

struct Gen<'a> {
    rng: &'a mut Rng,
    arch: Arch,
    /// ABIs an `arch:` line may add.
    also: &'a [Arch],
    /// Constants used, to aim inputs at their edges.
    constants: Vec<u64>,
}

impl Gen<'_> {
    fn action(&mut self) -> String {
        match self.rng.below(9) {
            0 | 1 => "allow".into(),
            2 => "kill".into(),
            3 => "kill_thread".into(),
            // Not 4095: that is the harness's marker.
            4 => format!("errno({})", self.rng.below(usize::from(MARKER_ERRNO))),
            5 => "errno(EPERM)".into(),
            6 => format!("trap({})", self.rng.below(65536)),
            7 => "log".into(),
            _ => format!("trace({})", self.rng.below(3)),
        }
    }

    fn comparison(&mut self, params: &[(String, u8, bool)]) -> String {
        let (name, bits, signed) = self.rng.pick(params).clone();
        let mut operand = name;
        if self.rng.chance(20) {
            let m = literal(self.rng, bits, false).max(0);
            let m = if signed && m >= 1i128 << (bits - 1) {
                m >> 1
            } else {
                m
            };
            operand = format!("{operand} & {m}");
            self.constants.push(m as u64);
        }
        if self.rng.chance(15) {
            let n = if self.rng.chance(30) {
                8 + self.rng.below(16)
            } else {
                1 + self.rng.below(4)
            };
            let vals: Vec<String> = (0..n)
                .map(|_| {
                    let v = literal(self.rng, bits, signed);
                    self.constants.push(v as u64);
                    v.to_string()
                })
                .collect();
            return format!("{operand} in [{}]", vals.join(", "));
        }
        let op = *self.rng.pick(&["==", "!=", "<", "<=", ">", ">="]);
        let v = literal(self.rng, bits, signed);
        self.constants.push(v as u64);
        format!("{operand} {op} {v}")
    }

    fn predicate(&mut self, params: &[(String, u8, bool)], depth: u32) -> String {
        if depth == 0 || self.rng.chance(45) {
            return self.comparison(params);
        }
        match self.rng.below(3) {
            0 => format!(
                "{} && {}",
                self.predicate(params, depth - 1),
                self.predicate(params, depth - 1)
            ),
            1 => format!(
                "({} || {})",
                self.predicate(params, depth - 1),
                self.predicate(params, depth - 1)
            ),
            _ => format!("!({})", self.predicate(params, depth - 1)),
        }
    }

    fn policy(&mut self) -> String {
        let t = self.arch.table();
        let mut out = String::new();
        let n = 1 + self.rng.below(8);
        for _ in 0..n {
            let sc = self.rng.pick(t.syscalls);
            let params: Vec<(String, u8, bool)> = match sc.params {
                Some(ps) => ps
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| {
                        let (b, s) = view(p.class, t.reg_bits)?;
                        let name = if self.rng.chance(20) {
                            format!("arg{i}")
                        } else {
                            p.name.to_owned()
                        };
                        Some((name, b, s))
                    })
                    .collect(),
                None => (0..6)
                    .map(|i| (format!("arg{i}"), t.reg_bits, false))
                    .collect(),
            };
            let rules = 1 + self.rng.below(3);
            for r in 0..rules {
                let last = r + 1 == rules;
                let cond = !(params.is_empty() || last && self.rng.chance(30));
                out.push_str(sc.name);
                if cond {
                    out.push_str(": ");
                    let p = self.predicate(&params, 2);
                    out.push_str(&p);
                }
                if self.rng.chance(70) {
                    out.push_str(" => ");
                    let a = self.action();
                    out.push_str(&a);
                }
                out.push_str(";\n");
                if !cond {
                    break;
                }
            }
        }
        if self.rng.chance(10) {
            out.push_str(&format!("{} => errno(1);\n", 1000 + self.rng.below(3000)));
        }
        let d = self.action();
        out.push_str(&format!("default => {d};\n"));
        if self.rng.chance(30) {
            let a = self.action();
            out.push_str(&format!("unknown => {a};\n"));
        }
        if self.rng.chance(30) {
            let a = self.action();
            out.push_str(&format!("bad_arch => {a};\n"));
        }
        if !self.also.is_empty() && self.rng.chance(25) {
            let other = *self.rng.pick(self.also);
            out.push_str(&format!("arch: {}, {other};\n", self.arch));
        }
        out
    }
}

/// Policies an attacker aims at: each is compiled for every task's ABI where it
/// resolves (a name or a value the ABI lacks makes it skip that ABI), with the
/// constants its inputs are aimed at.
const ATTACKS: &[(&str, &[u64])] = &[
    // 32-bit signed parameters: high-word garbage, negative values.
    (
        "read: fd == 3; read: fd < 0 => errno(EBADF); read: fd > 1000 => trap(9); default => kill;",
        &[3, 0, 1000, 0xffff_ffff, 0x8000_0000],
    ),
    (
        "kill: pid == -1 => errno(EPERM); kill: sig > 31 => trap(7); kill: pid <= -2 => kill_thread; kill; default => errno(ENOSYS);",
        &[0xffff_ffff, 31, 0xffff_fffe, 0],
    ),
    // A 32-bit unsigned parameter, a mask, a list.
    (
        "openat: (flags & 3) == 1 => errno(EACCES); openat: (flags & 64) == 64 => trap(3); openat: mode in [0, 420, 511] => allow; default => errno(EROFS);",
        &[1, 3, 64, 0, 420, 511],
    ),
    (
        "ioctl: cmd in [21505, 21506, 21507, 21508, 21509, 21510, 21511, 21512, 21513, 21514, 21515, 21516] => errno(ENOTTY); ioctl: fd in [0, 1, 2]; default => kill;",
        &[21505, 21510, 21516, 21517, 21504, 0, 2],
    ),
    // `!`, and kill_thread against kill_process.
    (
        "write: !(fd == 1 || fd == 2) => errno(EBADF); write: count > 4096 => kill_process; write; default => kill_thread;",
        &[1, 2, 4096, 0xffff_ffff],
    ),
    (
        "getpid => kill_thread; getppid => kill_process; gettid => kill; getuid => allow; default => errno(EPERM);",
        &[],
    ),
    // Each ABI's own errno numbers.
    (
        "getpid => errno(EAGAIN); getppid => errno(ENOSYS); gettid => errno(EDEADLK); getuid => errno(EOPNOTSUPP); getgid => errno(EHWPOISON); geteuid => errno(ENOTEMPTY); getegid => errno(EDQUOT); default => errno(ELOOP); unknown => errno(ERANGE);",
        &[],
    ),
    // trap data at its edges.
    (
        "getpid => trap(65535); getppid => trap(0); gettid => trap(32768); default => trap(1234); unknown => trap(4321);",
        &[],
    ),
    // Register-wide (`long`) parameters: values in either word on 64-bit ABIs.
    (
        "lseek: offset == 4294967296 => errno(EINVAL); lseek: offset == 1 => errno(ESPIPE); lseek: offset < 0 => trap(5); lseek: (offset & 18446744069414584320) == 30064771072 => kill_thread; lseek: whence > 2 => errno(ENXIO); default => allow;",
        &[0x1_0000_0000, 1, 0x7_0000_0000, 2, 0xffff_ffff],
    ),
    (
        "lseek: offset == 65536 => errno(EINVAL); lseek: offset < 0 => trap(5); lseek: whence > 2 => errno(ENXIO); default => allow;",
        &[65536, 0xffff_ffff, 2, 3],
    ),
    // 64-bit parameters (loff_t) where the ABI passes them in one register.
    (
        "pread64: pos == 4294967296 => errno(EINVAL); pread64: pos == 4294967295 => errno(EIO); pread64: pos < 0 => kill_thread; pread64: pos > 9223372032559808512 => trap(64); default => allow;",
        &[0x1_0000_0000, 0xffff_ffff, 0x7fff_ffff_0000_0000, 0],
    ),
    (
        "mmap: offset == 4096 => errno(EINVAL); mmap: (prot & 4) == 4 && (flags & 32) == 32 => errno(EACCES); mmap: len >= 4294967296 => trap(8); default => allow;",
        &[4096, 4, 32, 0x1_0000_0000, 0xffff_ffff],
    ),
    // o32's indirect syscall(2): the filter meets the call it stands for.
    (
        "syscall => errno(ENOSYS); getpid => errno(EAGAIN); write: fd == 4004 => trap(44); default => allow;",
        &[4000, 4020, 4004],
    ),
    (
        "mmap2: pgoff == 1 => errno(EINVAL); mmap2: len >= 2147483648 => trap(8); mmap2: (prot & 4) == 4 => errno(EACCES); default => allow;",
        &[1, 0x8000_0000, 4],
    ),
];

/// A policy compiled for one ABI, with what the guest needs to load it.
struct Compiled {
    text: String,
    resolved: seccomp_compiler::resolved::Policy,
    bpf: Vec<SockFilter>,
    constants: Vec<u64>,
    /// The ABI the program was compiled for.
    arch: Arch,
}

fn compile(text: String, arch: Arch, constants: Vec<u64>) -> Option<Compiled> {
    let ast = syntax::parse_str(&text)
        .unwrap_or_else(|e| panic!("{arch}: parse {text}: {}", e[0].message));
    let resolved = resolve::resolve(&ast, arch).ok()?;
    let prog =
        compile_resolved(&resolved).unwrap_or_else(|e| panic!("{arch}: {text}: {}", e[0].message));
    let bpf = prog.to_sock_filters().expect("no symbols");
    check(&bpf).unwrap_or_else(|e| panic!("{arch}: kernel would refuse: {e}\n{text}"));
    Some(Compiled {
        text,
        resolved,
        bpf,
        constants,
        arch,
    })
}

// ---------------------------------------------------------------------------
// What the kernel sees of a call: the number and argument registers as the guest
// passes them, and as `seccomp_data` holds them.

/// The value of `seccomp_data.nr` for a syscall made with number `nr`.
fn seen_nr(task: Arch, nr: u32, args: &[u64; 6]) -> u32 {
    match task {
        // o32's indirect syscall(2), number 4000: the kernel hands seccomp the
        // number in a0, the call it stands for (the o32 entry's `trace_a_syscall`
        // passes `PT_R4` to `syscall_trace_enter` when v0 is __NR_O32_Linux), and
        // `syscall_get_arguments` skips a0 (`mips_syscall_is_indirect`), so the
        // arguments are the call's own. Seen on the mips64el kernel: the filter
        // never meets 4000 itself unless a0 is 4000.
        Arch::Mipsel | Arch::Mips if nr == 4000 => args[0] as u32,
        // s390 takes the number from the `svc` instruction, or from r1 for `svc 0`,
        // and keeps 16 bits of it: `nr = regs->int_code & 0xffff` /
        // `regs->gprs[1] & 0xffff` (arch/s390/kernel/syscall.c, `__do_syscall`),
        // and `syscall_get_nr` reads `int_code & 0xffff`.
        Arch::S390x | Arch::S390 => nr & 0xffff,
        _ => nr,
    }
}

/// The argument registers as `seccomp_data.args` holds them. The harness passes
/// each value as a C `long` (n32: all 64 bits, guest.c's `call6`), which on a
/// 32-bit ABI keeps the low word. An arm task's registers reach `args` zero-extended
/// (arm64's `syscall_get_arguments` copies `regs[]`, whose high halves are zero in
/// AArch32). An o32 task's on a 64-bit mips kernel are sign-extended: `args[0..4]`
/// are the 64-bit `regs[4..8]`, which hold a 32-bit task's values sign-extended, and
/// `args[4..6]` are read from the user stack as `int` (`mips_get_syscall_arg`,
/// arch/mips/include/asm/syscall.h).
fn seen_args(task: Arch, kernel_bits: u8, args: [u64; 6]) -> [u64; 6] {
    match (task.table().reg_bits, task) {
        (32, Arch::Mipsel | Arch::Mips) if kernel_bits == 64 => {
            args.map(|a| i64::from(a as u32 as i32) as u64)
        }
        (32, _) => args.map(|a| a & 0xffff_ffff),
        _ => args,
    }
}

/// An input aimed at the policy's numbers and constants, as meaning.rs draws them,
/// for a task of ABI `task` (the kernel decides the `arch` field).
fn input(rng: &mut Rng, task: Arch, policy_nrs: &[u32], constants: &[u64]) -> (u32, [u64; 6]) {
    let t = task.table();
    let nr: u32 = match rng.below(10) {
        0..=4 if !policy_nrs.is_empty() => *rng.pick(policy_nrs),
        5 => rng.pick(t.syscalls).nr,
        6 => rng.pick(Arch::X32.table().syscalls).nr,
        7 => u32::MAX,
        8 => rng.pick(t.syscalls).nr.wrapping_add(1),
        _ => rng.next() as u32,
    };
    let mut args = [0u64; 6];
    for a in &mut args {
        let base = if !constants.is_empty() && rng.chance(70) {
            *rng.pick(constants)
        } else {
            rng.next()
        };
        let low = match rng.below(5) {
            0 => base.wrapping_add(1),
            1 => base.wrapping_sub(1),
            _ => base,
        };
        // Garbage or a sign extension in the high word of 32-bit parameters; a
        // 32-bit task's registers drop it.
        *a = match rng.below(4) {
            0 => low & 0xffff_ffff,
            1 => (low & 0xffff_ffff) | (rng.next() << 32),
            2 => i64::from(low as u32 as i32) as u64,
            _ => low,
        };
    }
    (nr, args)
}

// ---------------------------------------------------------------------------
// Outcomes.

/// What the harness reports for one case.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    /// The syscall returned `ret` with `errno`.
    Ret {
        ret: i64,
        errno: u16,
    },
    /// `SIGSYS` reached the handler.
    Trap {
        code: i32,
        syscall: i32,
        arch: u32,
        errno: u16,
    },
    KillThread,
    KillProcess,
    /// Anything else, as the harness printed it.
    Other(String),
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Ret { ret, errno } => write!(f, "returned {ret}, errno {errno}"),
            Outcome::Trap {
                code,
                syscall,
                arch,
                errno,
            } => write!(
                f,
                "SIGSYS si_code {code} si_syscall {syscall} si_arch {arch:#x} si_errno {errno}"
            ),
            Outcome::KillThread => f.write_str("the thread was killed"),
            Outcome::KillProcess => f.write_str("the process was killed by SIGSYS"),
            Outcome::Other(s) => f.write_str(s),
        }
    }
}

/// What the kernel does under the harness for an action of the case's program.
fn expected(action: Action, task: Arch, nr: u32) -> Outcome {
    match action {
        // Less severe than the marker's errno: the marker decides.
        Action::Allow | Action::Log | Action::Trace(_) | Action::Notify => Outcome::Ret {
            ret: -1,
            errno: MARKER_ERRNO,
        },
        Action::Errno(0) => Outcome::Ret { ret: 0, errno: 0 },
        Action::Errno(e) => Outcome::Ret { ret: -1, errno: e },
        Action::Trap(d) => Outcome::Trap {
            code: 1, // SYS_SECCOMP
            syscall: nr as i32,
            arch: task.audit_arch(),
            errno: d,
        },
        Action::KillThread => Outcome::KillThread,
        Action::KillProcess => Outcome::KillProcess,
    }
}

fn parse_outcome(words: &[&str]) -> Outcome {
    let num = |s: &str| -> Option<i64> {
        if let Some(h) = s.strip_prefix("0x") {
            i64::from_str_radix(h, 16).ok()
        } else {
            s.parse().ok()
        }
    };
    let other = || Outcome::Other(words.join(" "));
    match words {
        ["ret", r, e, _name] => match (num(r), num(e)) {
            (Some(ret), Some(e)) => Outcome::Ret {
                ret,
                errno: e as u16,
            },
            _ => other(),
        },
        ["trap", c, s, a, e] => match (num(c), num(s), num(a), num(e)) {
            (Some(c), Some(s), Some(a), Some(e)) => Outcome::Trap {
                code: c as i32,
                syscall: s as i32,
                arch: a as u32,
                errno: e as u16,
            },
            _ => other(),
        },
        ["kill_thread"] => Outcome::KillThread,
        ["kill_process"] => Outcome::KillProcess,
        _ => other(),
    }
}

// ---------------------------------------------------------------------------
// The guest's files.

/// One case: program index, the number passed and seen, the argument registers.
struct Case {
    prog: usize,
    nr: u32,
    seen_nr: u32,
    args: [u64; 6],
    /// What the kernel should do.
    want: Outcome,
    action: Action,
    data: SeccompData,
}

/// The guest's cases file. Instructions are written in the task's byte order: the
/// kernel loads `sock_filter`s natively, and lays `seccomp_data` out natively, so a
/// program of an ABI of the other byte order (only ever loaded here to meet
/// `bad_arch`) is re-encoded, not reinterpreted.
fn cases_file(task: Arch, progs: &[Compiled], cases: &[Case]) -> Vec<u8> {
    let tag = task.as_str();
    let mut b = b"SCQ1".to_vec();
    let u32le = |b: &mut Vec<u8>, v: u32| b.extend_from_slice(&v.to_le_bytes());
    u32le(&mut b, tag.len() as u32);
    b.extend_from_slice(tag.as_bytes());
    u32le(&mut b, progs.len() as u32);
    for p in progs {
        u32le(&mut b, p.bpf.len() as u32);
        for i in &p.bpf {
            b.extend_from_slice(&i.to_bytes(task.endian()));
        }
    }
    u32le(&mut b, cases.len() as u32);
    for c in cases {
        u32le(&mut b, c.prog as u32);
        u32le(&mut b, c.seen_nr);
        b.extend_from_slice(&i64::from(c.nr as i32).to_le_bytes());
        for a in c.args {
            b.extend_from_slice(&a.to_le_bytes());
        }
    }
    b
}

/// A `newc` cpio archive, as the kernel unpacks an initramfs.
struct Cpio(Vec<u8>, u32);

impl Cpio {
    fn entry(&mut self, name: &str, mode: u32, rdev: (u32, u32), data: &[u8]) {
        self.1 += 1;
        let fields = [
            self.1,
            mode,
            0,
            0,
            1,
            0,
            data.len() as u32,
            0,
            0,
            rdev.0,
            rdev.1,
            name.len() as u32 + 1,
            0,
        ];
        let mut h = String::from("070701");
        for f in fields {
            write!(h, "{f:08x}").expect("string");
        }
        self.0.extend_from_slice(h.as_bytes());
        self.0.extend_from_slice(name.as_bytes());
        self.0.push(0);
        self.pad();
        self.0.extend_from_slice(data);
        self.pad();
    }
    fn pad(&mut self) {
        while !self.0.len().is_multiple_of(4) {
            self.0.push(0);
        }
    }
    fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, (0, 0), &[]);
        self.0
    }
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn work_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("qemu")
}

fn cache_dir() -> PathBuf {
    if let Ok(d) = std::env::var("SECCOMP_QEMU_CACHE") {
        return PathBuf::from(d);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    PathBuf::from(home).join(".cache/seccomp-qemu")
}

fn harness(task: &Task) -> Vec<u8> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("qemu/guest.c");
    let out = work_dir().join(format!("guest-{}", task.arch));
    std::fs::create_dir_all(work_dir()).expect("work dir");
    let status = Command::new(task.cc)
        .args(["-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&out)
        .arg(&src)
        .args(task.cflags)
        .arg("-lpthread")
        .status()
        .unwrap_or_else(|e| panic!("{}: {e}", task.cc));
    assert!(
        status.success(),
        "{} could not build {}",
        task.cc,
        src.display()
    );
    std::fs::read(&out).expect("harness")
}

/// The kernel's image and what is recorded of it, fetched into the cache once.
fn kernel(k: &Kernel) -> (PathBuf, String) {
    let dir = cache_dir().join(format!("{}-{}", k.debarch, k.suite));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("qemu/fetch-kernel.sh");
    let status = Command::new("sh")
        .arg(&script)
        .args([k.debarch, k.suite, k.package])
        .arg(&dir)
        .stdout(Stdio::null())
        .status()
        .expect("sh");
    assert!(
        status.success(),
        "the {} kernel ({} from Debian {}) could not be fetched into {} (tests/qemu/fetch-kernel.sh; it needs apt and Debian's package mirror)",
        k.debarch,
        k.package,
        k.suite,
        dir.display()
    );
    let info = std::fs::read_to_string(dir.join("kernel.txt")).expect("kernel.txt");
    (dir.join("vmlinuz"), info)
}

/// Draws the cases of one task: its ABI's policies (random and attacker's), and
/// some of the kernel's other ABIs' (`bad_arch` for this task).
fn draw(
    rng: &mut Rng,
    task: Arch,
    kernel_bits: u8,
    others: &[Arch],
    n: usize,
    progs: &mut Vec<Compiled>,
) -> Vec<Case> {
    const PER_POLICY: usize = 20;
    let first = progs.len();
    for &(text, consts) in ATTACKS {
        for &arch in std::iter::once(&task).chain(others) {
            if let Some(c) = compile(text.to_owned(), arch, consts.to_vec()) {
                progs.push(c);
            }
        }
    }
    let attack_progs = progs.len() - first;
    let random = n
        .saturating_sub(attack_progs * PER_POLICY)
        .div_ceil(PER_POLICY);
    for i in 0..random {
        // One policy in eight is another ABI's of this kernel.
        let arch = if !others.is_empty() && i % 8 == 7 {
            *rng.pick(others)
        } else {
            task
        };
        let also: Vec<Arch> = std::iter::once(task)
            .chain(others.iter().copied())
            .filter(|&a| a != arch)
            .collect();
        loop {
            let mut g = Gen {
                rng,
                arch,
                also: &also,
                constants: Vec::new(),
            };
            let text = g.policy();
            let constants = g.constants;
            if let Some(c) = compile(text, arch, constants) {
                progs.push(c);
                break;
            }
        }
    }
    let mut cases = Vec::new();
    for (pi, p) in progs.iter().enumerate().skip(first) {
        let nrs: Vec<u32> = p
            .resolved
            .abis
            .iter()
            .flat_map(|a| a.syscalls.keys().copied())
            .collect();
        for _ in 0..PER_POLICY {
            if cases.len() >= n {
                break;
            }
            let (nr, args) = input(rng, task, &nrs, &p.constants);
            let seen = seen_nr(task, nr, &args);
            let data = SeccompData {
                nr: seen as i32,
                arch: task.audit_arch(),
                instruction_pointer: 0,
                args: seen_args(task, kernel_bits, args),
            };
            let action = interp::evaluate(&p.resolved, &data).expect("no symbols");
            let sim = Action::from_ret(simulate(&p.bpf, &data, task.endian()).expect("runs"));
            assert_eq!(
                sim, action,
                "{}: the simulator and the policy's meaning disagree on {data:x?}:\n{}",
                p.arch, p.text
            );
            cases.push(Case {
                prog: pi,
                nr,
                seen_nr: seen,
                args,
                want: expected(action, task, seen),
                action,
                data,
            });
        }
    }
    cases
}

/// Boots `k` once with every asked-for task's cases and compares the outcomes.
fn run_kernel(k: &Kernel, asked: &[Arch]) {
    let tasks: Vec<&Task> = k
        .tasks
        .iter()
        .enumerate()
        .filter(|(i, t)| *i == 0 || asked.contains(&t.arch))
        .map(|(_, t)| t)
        .collect();
    let mut missing = Vec::new();
    if !have(k.qemu) {
        missing.push(format!("{} (apt-get install {})", k.qemu, k.qemu_package));
    }
    for t in &tasks {
        if !have(t.cc) {
            missing.push(format!("{} (apt-get install {})", t.cc, t.cc_packages));
        }
    }
    assert!(
        missing.is_empty(),
        "SECCOMP_QEMU asks for {}, but these are not installed: {}",
        tasks
            .iter()
            .map(|t| t.arch.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        missing.join("; ")
    );
    let (image, info) = kernel(k);

    let n = env_usize("SECCOMP_QEMU_CASES", 2000);
    let seed = env_usize("SECCOMP_QEMU_SEED", 0) as u64;
    let mut cpio = Cpio(Vec::new(), 0);
    cpio.entry("dev", 0o040_755, (0, 0), &[]);
    cpio.entry("dev/console", 0o020_600, (5, 1), &[]);
    let mut runs = Vec::new();
    for (i, t) in tasks.iter().enumerate() {
        let all: Vec<Arch> = k.tasks.iter().map(|t| t.arch).collect();
        let others: Vec<Arch> = all
            .iter()
            .chain(k.foreign)
            .copied()
            .filter(|&a| a != t.arch)
            .collect();
        let mut rng = Rng(0x9e_0000 + seed * 0x1_0000 + t.arch as u64);
        let mut progs = Vec::new();
        let want = if asked.contains(&t.arch) { n } else { 0 };
        let kernel_bits = k.tasks[0].arch.table().reg_bits;
        let cases = draw(&mut rng, t.arch, kernel_bits, &others, want, &mut progs);
        let bin = harness(t);
        cpio.entry(
            &if i == 0 {
                "init".to_owned()
            } else {
                format!("compat{i}")
            },
            0o100_755,
            (0, 0),
            &bin,
        );
        cpio.entry(
            &format!("cases{i}.bin"),
            0o100_644,
            (0, 0),
            &cases_file(t.arch, &progs, &cases),
        );
        runs.push((t.arch, progs, cases));
    }
    let initrd = work_dir().join(format!("initrd-{}", k.debarch));
    std::fs::write(&initrd, cpio.finish()).expect("initrd");

    let log = work_dir().join(format!("console-{}.log", k.debarch));
    let started = Instant::now();
    let console = boot(k, &image, &initrd, &log);
    let secs = started.elapsed().as_secs_f64();

    let mut got: BTreeMap<(String, usize), (Outcome, String)> = BTreeMap::new();
    let mut release = String::from("?");
    for line in console.lines() {
        let Some(at) = line.find('@') else { continue };
        let words: Vec<&str> = line[at..].split_whitespace().collect();
        match words.as_slice() {
            ["@R", tag, idx, rest @ ..] => {
                if let Ok(i) = idx.parse() {
                    // The C library's name of a returned errno (`-` for none).
                    let name = match rest {
                        ["ret", _, _, name] => (*name).to_owned(),
                        _ => String::new(),
                    };
                    got.insert(((*tag).to_owned(), i), (parse_outcome(rest), name));
                }
            }
            ["@BEGIN", _, _, _, rel, mach] => release = format!("{rel} {mach}"),
            ["@FATAL", ..] => panic!(
                "the guest harness failed: {line}\n(console: {})",
                log.display()
            ),
            _ => {}
        }
    }
    let mut report = String::new();
    let mut failed = false;
    for (arch, progs, cases) in &runs {
        if !asked.contains(arch) {
            continue;
        }
        let mut bad = 0;
        let mut errnos_named = 0;
        let mut by_action: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, c) in cases.iter().enumerate() {
            *by_action.entry(c.action.name()).or_default() += 1;
            let Some((g, errno_name)) = got.get(&(arch.as_str().to_owned(), i)) else {
                bad += 1;
                if bad <= 20 {
                    let _ = writeln!(report, "{arch} case {i}: no outcome reported");
                }
                continue;
            };
            // The errno numbering: the guest's C library names the value the kernel
            // returned as the compiler's table does.
            if let (Outcome::Ret { errno, .. }, Action::Errno(_)) = (g, c.action) {
                let names: Vec<&str> = arch
                    .errnos()
                    .iter()
                    .filter(|e| e.value == *errno)
                    .map(|e| e.name)
                    .collect();
                if !names.is_empty() && errno_name != "?" && !names.contains(&errno_name.as_str()) {
                    bad += 1;
                    let _ = writeln!(
                        report,
                        "{arch} case {i}: errno {errno} is {errno_name} in the guest's C library, {names:?} in the compiler's table"
                    );
                }
                errnos_named += usize::from(names.contains(&errno_name.as_str()));
            }
            if *g != c.want {
                bad += 1;
                if bad <= 20 {
                    let p = &progs[c.prog];
                    let _ = writeln!(
                        report,
                        "{arch} case {i}: the kernel: {g}; the policy means {} ({}); syscall {} (seen as {}) args {:x?}\n  seccomp_data {:x?}\n  policy for {}:\n    {}\n  program:\n{}",
                        c.action,
                        c.want,
                        c.nr as i32,
                        c.seen_nr as i32,
                        c.args,
                        c.data,
                        p.arch,
                        p.text.trim_end().replace('\n', "\n    "),
                        seccomp_bpf::disasm::Disasm::new(&p.bpf, p.arch.endian())
                    );
                }
            }
        }
        failed |= bad > 0;
        let _ = writeln!(
            report,
            "{arch}: {} cases of {} programs on Linux {release} under {} ({:.0} s): {bad} mismatches; actions {by_action:?}; {errnos_named} errno values named alike by the guest's C library",
            cases.len(),
            progs.len(),
            k.qemu,
            secs
        );
    }
    say(&format!(
        "{}kernel:\n  {}",
        report,
        info.trim_end().replace('\n', "\n  ")
    ));
    assert!(
        !failed,
        "the kernel and the policies' meaning disagree (console: {}):\n{report}",
        log.display()
    );
}

/// Boots the guest and returns what it printed on the console.
fn boot(k: &Kernel, image: &Path, initrd: &Path, log: &Path) -> String {
    let out = std::fs::File::create(log).expect("console log");
    let mut child = Command::new(k.qemu)
        .args(k.machine)
        .args(["-nographic", "-no-reboot", "-nic", "none", "-kernel"])
        .arg(image)
        .arg("-initrd")
        .arg(initrd)
        .arg("-append")
        .arg(format!("console={} quiet panic=-1 rdinit=/init", k.console))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", k.qemu));
    let limit = Duration::from_secs(env_usize("SECCOMP_QEMU_TIMEOUT", 1200) as u64);
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "{} ended with {status}", k.qemu);
            break;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{} did not finish in {} s (console: {})",
                k.qemu,
                limit.as_secs(),
                log.display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let text = String::from_utf8_lossy(&std::fs::read(log).expect("console log")).into_owned();
    assert!(
        text.contains("@END"),
        "the guest did not finish its cases (console: {}):\n{}",
        log.display(),
        text.lines()
            .rev()
            .take(30)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    );
    let _ = std::io::stderr().flush();
    text
}

fn run(kernel_arch: &str) {
    let Some(asked) = wanted() else {
        say(&format!(
            "SKIPPED {kernel_arch}_kernel: the QEMU suite runs only when asked: SECCOMP_QEMU=aarch64,arm,s390x (or all) cargo test -p seccomp-tests --test qemu (tests/README.md)"
        ));
        return;
    };
    let k = KERNELS
        .iter()
        .find(|k| k.debarch == kernel_arch)
        .expect("kernel");
    let mine: Vec<Arch> = k
        .tasks
        .iter()
        .map(|t| t.arch)
        .filter(|a| asked.contains(a))
        .collect();
    if mine.is_empty() {
        say(&format!(
            "SKIPPED {kernel_arch}_kernel: SECCOMP_QEMU does not ask for {}",
            k.tasks
                .iter()
                .map(|t| t.arch.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        ));
        return;
    }
    run_kernel(k, &mine);
}

#[test]
fn arm64_kernel() {
    run("arm64");
}

#[test]
fn s390x_kernel() {
    run("s390x");
}

#[test]
fn ppc64el_kernel() {
    run("ppc64el");
}

#[test]
fn riscv64_kernel() {
    run("riscv64");
}

#[test]
fn mips64el_kernel() {
    run("mips64el");
}
