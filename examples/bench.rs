//! The benchmark: our programs beside libseccomp's (default and binary tree), for the
//! policies in `benches/`, on x86_64, in one run.
//!
//! `cargo run --release -p seccomp-tests --example bench`
//!
//! Per policy and compiler: program length; mean and max instructions executed over
//! every syscall number 0 ..= the table's highest (arguments 0), in the simulator; how
//! many of the syscalls the policy allows unconditionally the kernel's action cache
//! would skip (`seccomp_is_const_allow`, emulated exactly); and, on this machine's
//! kernel, ns per call with the program installed vs without, for (i) an allowed call
//! with an argument check (`write(1, _, 0)`), (ii) a call denied with an errno
//! (`socket` of an unknown family), (iii) an unconditionally allowed call (`getppid`). Numbers are
//! printed, never asserted. libseccomp comes from Debian's `libseccomp-dev`; the
//! benchmark installs nothing and says what is missing. `BENCH_RUNS=1` prints every
//! timed run to stderr, sorted, to see the machine's noise.
//!
//! It then asks whether weighting the dispatch by how often each syscall is made
//! would pay, for the syscall counts of two real workloads in `benches/workloads/`.
//!
//! `cargo xtask bench` runs this and adds the macro's expansion time and the bytes the
//! runtime adds to a release binary.

use std::time::Instant;

use seccomp_bpf::{Endian, SeccompData, SockFilter, simulate_counted};
use seccomp_compiler::resolved::{CmpOp, Compare, Policy, Predicate, Value};
use seccomp_compiler::stats::{self, Stats};
use seccomp_compiler::{Arch, compile, compile_resolved, resolve, syntax};
use seccomp_tests::libseccomp::{
    ArgCmp, Lib, LibRule, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_LE, SCMP_CMP_LT,
    SCMP_CMP_MASKED_EQ, SCMP_CMP_NE,
};

const POLICIES: &[(&str, &str)] = &[
    ("seed", include_str!("../benches/seed.policy")),
    ("daemon", include_str!("../benches/daemon.policy")),
    ("container", include_str!("../benches/container.policy")),
];

/// `a ∧ b` of two ORs of ANDs.
fn and(a: &[Vec<Compare>], b: &[Vec<Compare>]) -> Vec<Vec<Compare>> {
    a.iter()
        .flat_map(|x| b.iter().map(move |y| [x.clone(), y.clone()].concat()))
        .collect()
}

/// An OR of single comparisons, as an OR of ANDs.
fn any_of(cmps: Vec<Compare>) -> Vec<Vec<Compare>> {
    cmps.into_iter().map(|c| vec![c]).collect()
}

/// A predicate as OR of ANDs, for libseccomp (which has no `!` nor nesting).
fn dnf(p: &Predicate) -> Vec<Vec<Compare>> {
    match p {
        Predicate::Or(a, b) => [dnf(a), dnf(b)].concat(),
        Predicate::And(a, b) => and(&dnf(a), &dnf(b)),
        Predicate::Compare(c) => vec![vec![c.clone()]],
        Predicate::Not(_) => panic!("the benchmark's policies use no `!`"),
    }
}

/// `!p` as OR of ANDs: De Morgan, with a masked `==` negated into the other values
/// the masked bits can take (libseccomp has no masked `!=`).
fn negate(p: &[Vec<Compare>]) -> Vec<Vec<Compare>> {
    let mut out = vec![Vec::new()];
    for clause in p {
        out = and(&out, &any_of(clause.iter().flat_map(negate_one).collect()));
    }
    out
}

fn negate_one(c: &Compare) -> Vec<Compare> {
    let with = |op, mask, value| Compare {
        op,
        mask,
        value,
        ..c.clone()
    };
    match (c.op, c.mask) {
        (CmpOp::Eq, Some(m)) => {
            let (m, v) = (imm(m), imm(c.value));
            assert!(m.count_ones() <= 4, "a mask of at most 4 bits");
            // Every value of `x & m` but `v`: the subsets of `m`'s bits.
            let bits: Vec<u64> = (0..64).map(|b| 1u64 << b).filter(|b| m & b != 0).collect();
            (0..1u32 << bits.len())
                .map(|k| {
                    bits.iter()
                        .enumerate()
                        .filter(|(i, _)| k >> i & 1 == 1)
                        .map(|(_, b)| b)
                        .sum::<u64>()
                })
                .filter(|&w| w != v)
                .map(|w| with(CmpOp::Eq, Some(Value::Imm(m)), Value::Imm(w)))
                .collect()
        }
        (_, Some(_)) => panic!("only `==` with a mask"),
        (op, None) => {
            let op = match op {
                CmpOp::Eq => CmpOp::Ne,
                CmpOp::Ne => CmpOp::Eq,
                CmpOp::Lt => CmpOp::Ge,
                CmpOp::Le => CmpOp::Gt,
                CmpOp::Ge => CmpOp::Lt,
                CmpOp::Gt => CmpOp::Le,
            };
            vec![with(op, None, c.value)]
        }
    }
}

/// libseccomp takes one comparison per argument in a rule: several unmasked ones on
/// an argument become the set of values they allow, as intervals, each a rule of its
/// own, written with one comparison (`<=`, `>=`, `==`) or, inside the range, as
/// aligned blocks (`& !(2^k - 1) == base`), the way a libseccomp user has to.
fn one_per_arg(clause: &[Compare]) -> Vec<Vec<Compare>> {
    let mut out = vec![Vec::new()];
    let mut args: Vec<u8> = clause.iter().map(|c| c.arg).collect();
    args.sort_unstable();
    args.dedup();
    for arg in args {
        let cmps: Vec<&Compare> = clause.iter().filter(|c| c.arg == arg).collect();
        let alternatives: Vec<Compare> = if cmps.len() == 1 {
            vec![cmps[0].clone()]
        } else {
            let mut set = vec![(0u64, u64::MAX)];
            for c in &cmps {
                assert!(
                    c.mask.is_none(),
                    "a masked comparison beside others on one argument"
                );
                let v = imm(c.value);
                let allowed: Vec<(u64, u64)> = match c.op {
                    CmpOp::Eq => vec![(v, v)],
                    CmpOp::Ne => [
                        (v > 0).then(|| (0, v - 1)),
                        (v < u64::MAX).then(|| (v + 1, u64::MAX)),
                    ]
                    .into_iter()
                    .flatten()
                    .collect(),
                    CmpOp::Lt => (v > 0).then(|| (0, v - 1)).into_iter().collect(),
                    CmpOp::Le => vec![(0, v)],
                    CmpOp::Ge => vec![(v, u64::MAX)],
                    CmpOp::Gt => (v < u64::MAX)
                        .then(|| (v + 1, u64::MAX))
                        .into_iter()
                        .collect(),
                };
                set = set
                    .iter()
                    .flat_map(|&(lo, hi)| allowed.iter().map(move |&(a, b)| (lo.max(a), hi.min(b))))
                    .filter(|(lo, hi)| lo <= hi)
                    .collect();
            }
            let with = |op, mask: Option<u64>, value: u64| Compare {
                op,
                mask: mask.map(Value::Imm),
                value: Value::Imm(value),
                ..cmps[0].clone()
            };
            set.iter()
                .flat_map(|&(lo, hi)| match (lo, hi) {
                    (0, u64::MAX) => vec![with(CmpOp::Ge, None, 0)],
                    (0, hi) => vec![with(CmpOp::Le, None, hi)],
                    (lo, u64::MAX) => vec![with(CmpOp::Ge, None, lo)],
                    (lo, hi) if lo == hi => vec![with(CmpOp::Eq, None, lo)],
                    (mut lo, hi) => {
                        let mut blocks = Vec::new();
                        loop {
                            // The largest aligned block at `lo` that ends by `hi`.
                            let mut size = 1u64 << lo.trailing_zeros().min(63);
                            while size > 1 && lo.checked_add(size - 1).is_none_or(|end| end > hi) {
                                size >>= 1;
                            }
                            blocks.push(with(CmpOp::Eq, Some(!(size - 1)), lo));
                            match (lo + (size - 1)).checked_add(1) {
                                Some(next) if next <= hi => lo = next,
                                _ => break,
                            }
                        }
                        blocks
                    }
                })
                .collect()
        };
        out = and(&out, &any_of(alternatives));
    }
    out
}

fn imm(v: Value) -> u64 {
    match v {
        Value::Imm(n) => n,
        _ => panic!("the benchmark's policies use literals only"),
    }
}

/// The same policy as libseccomp rules.
fn lib_rules(policy: &Policy) -> Vec<LibRule> {
    let abi = &policy.abis[0];
    let mut out = Vec::new();
    for (nr, rules) in &abi.syscalls {
        let name = abi.arch.syscall_by_nr(*nr).expect("a named syscall").name;
        for (i, r) in rules.rules.iter().enumerate() {
            // libseccomp refuses a rule whose action is the default (EACCES); as the
            // last rule of its syscall such a rule changes nothing, so leave it out.
            if r.action == abi.default {
                assert_eq!(
                    i + 1,
                    rules.rules.len(),
                    "{name}: a rule with the default action before others"
                );
                continue;
            }
            // Our rules are tried in order, libseccomp's are not: a rule applies where
            // its predicate holds and no earlier rule's does.
            let mut ands = r.predicate.as_ref().map_or_else(|| vec![Vec::new()], dnf);
            for earlier in rules.rules[..i].iter().filter_map(|e| e.predicate.as_ref()) {
                let not = negate(&dnf(earlier));
                ands = and(&ands, &not);
            }
            for and in ands.iter().flat_map(|a| one_per_arg(a)) {
                let cmps = and
                    .iter()
                    .map(|c| {
                        let (op, a, b) = match (c.op, c.mask) {
                            (CmpOp::Eq, Some(m)) => (SCMP_CMP_MASKED_EQ, imm(m), imm(c.value)),
                            (_, Some(_)) => panic!("only `==` with a mask"),
                            (CmpOp::Ne, None) => (SCMP_CMP_NE, imm(c.value), 0),
                            (CmpOp::Lt, None) => (SCMP_CMP_LT, imm(c.value), 0),
                            (CmpOp::Le, None) => (SCMP_CMP_LE, imm(c.value), 0),
                            (CmpOp::Eq, None) => (SCMP_CMP_EQ, imm(c.value), 0),
                            (CmpOp::Ge, None) => (SCMP_CMP_GE, imm(c.value), 0),
                            (CmpOp::Gt, None) => (SCMP_CMP_GT, imm(c.value), 0),
                        };
                        ArgCmp {
                            arg: u32::from(c.arg),
                            op,
                            datum_a: a,
                            datum_b: b,
                        }
                    })
                    .collect();
                out.push(LibRule {
                    action: r.action,
                    name: name.to_owned(),
                    nr: Some(*nr as i32),
                    cmps,
                });
            }
        }
    }
    out
}

/// The highest syscall number of x86_64's table.
fn highest_nr() -> u32 {
    Arch::X86_64
        .table()
        .syscalls
        .iter()
        .map(|s| s.nr)
        .max()
        .unwrap_or(0)
}

/// An x86_64 `seccomp_data`.
fn data(nr: i64, args: [u64; 6]) -> SeccompData {
    SeccompData {
        nr: nr as i32,
        arch: Arch::X86_64.audit_arch(),
        instruction_pointer: 0,
        args,
    }
}

/// Calls per timed run, and runs per figure (interleaved across every program, so
/// that drift on the machine spreads evenly; the figure is the fastest run, the one
/// least disturbed by the rest of the machine).
const CALLS: u32 = 50_000;
const ROUNDS: usize = 31;

/// ns per call of `call` in a child with `program` installed (`None`: no filter),
/// pinned to the last CPU.
fn time_call(program: Option<&'static [SockFilter]>, spec_allow: bool, call: fn()) -> Option<f64> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for two descriptors.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: the child makes syscalls only, then `_exit`s.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: plain syscalls on our own process; stdout becomes the pipe, for a
        // filter that allows write(1).
        unsafe {
            let cpus = libc::sysconf(libc::_SC_NPROCESSORS_ONLN).max(1) as usize;
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpus - 1, &mut set);
            libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &raw const set);
            libc::dup2(fds[1], 1);
        }
        if let Some(p) = program
            && seccomp_rt::Filter::from_static(p)
                .installer()
                .spec_allow(spec_allow)
                .install()
                .is_err()
        {
            // SAFETY: ends the child.
            unsafe { libc::_exit(2) };
        }
        for _ in 0..CALLS / 10 {
            call();
        }
        let start = Instant::now();
        for _ in 0..CALLS {
            call();
        }
        let ns = start.elapsed().as_nanos() as f64 / f64::from(CALLS);
        let bytes = ns.to_bits().to_ne_bytes();
        // SAFETY: a valid buffer; write(1) is allowed by every benchmarked policy.
        unsafe { libc::write(1, bytes.as_ptr().cast(), bytes.len()) };
        // SAFETY: ends the child with exit_group.
        unsafe { libc::_exit(0) };
    }
    // SAFETY: our descriptors and child.
    unsafe {
        libc::close(fds[1]);
        let mut buf = [0u8; 8];
        let n = libc::read(fds[0], buf.as_mut_ptr().cast(), 8);
        libc::close(fds[0]);
        let mut status = 0;
        libc::waitpid(pid, &raw mut status, 0);
        (n == 8).then(|| f64::from_bits(u64::from_ne_bytes(buf)))
    }
}

/// One timed figure: a program (or none), how it is installed, and the call.
struct Job {
    program: Option<&'static [SockFilter]>,
    spec_allow: bool,
    call: fn(),
    runs: Vec<f64>,
}

/// Runs every job `ROUNDS` times, round-robin, and keeps each one's runs.
fn time_all(jobs: &mut [Job]) {
    for _ in 0..ROUNDS {
        for j in jobs.iter_mut() {
            if let Some(ns) = time_call(j.program, j.spec_allow, j.call) {
                j.runs.push(ns);
            }
        }
    }
}

fn fastest(runs: &[f64]) -> Option<f64> {
    runs.iter().copied().reduce(f64::min)
}

fn write_empty() {
    // SAFETY: a zero-length write.
    unsafe { libc::syscall(libc::SYS_write, 1, [0u8; 1].as_ptr(), 0) };
}
fn socket_denied() {
    // An address family no kernel has: without a filter the kernel fails it at once with
    // EAFNOSUPPORT, so the baseline is the cheapest failing call, not a socket's creation.
    // SAFETY: creates nothing.
    unsafe { libc::syscall(libc::SYS_socket, 0xffff, libc::SOCK_RAW, 0) };
}
fn getppid() {
    // SAFETY: no arguments.
    unsafe { libc::syscall(libc::SYS_getppid) };
}

/// One line of the main table.
fn line(c: [String; 9]) {
    println!(
        "{:<10} {:<16} {:>6} {:>6} {:>4} {:>8} {:>11} {:>11} {:>11}",
        c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]
    );
}

fn fmt_ns(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |ns| format!("{ns:.0}"))
}

/// Inputs on which two programs of the same policy must agree: every number of the
/// table's range with every argument 0, 1, 2 or 2^31 - 1 (values on which a 32-bit
/// parameter's compare and libseccomp's 64-bit one agree).
fn disagreements(a: &[SockFilter], b: &[SockFilter]) -> usize {
    let hi = highest_nr();
    let mut n = 0;
    for nr in 0..=hi {
        for args in [[0; 6], [1; 6], [2; 6], [0x7fff_ffff; 6]] {
            let d = data(i64::from(nr), args);
            if simulate_counted(a, &d, Endian::Little).map(|r| r.0)
                != simulate_counted(b, &d, Endian::Little).map(|r| r.0)
            {
                n += 1;
                eprintln!(
                    "{nr} {:x?} {:x?} {:x?}",
                    args[0],
                    simulate_counted(a, &d, Endian::Little),
                    simulate_counted(b, &d, Endian::Little)
                );
            }
        }
    }
    n
}

struct Row {
    policy: &'static str,
    compiler: &'static str,
    stats: Stats,
    /// Indices into the jobs, one per call (arg-checked, errno, allowed).
    jobs: [Option<usize>; 3],
    /// The instructions each call executes, in the simulator.
    insns: [Option<usize>; 3],
}

/// The `seccomp_data` of each timed call: `write(1, buf, 0)`, `socket(0xffff,
/// SOCK_RAW, 0)`, `getppid()`.
fn call_data() -> [SeccompData; 3] {
    let d = data;
    [
        d(libc::SYS_write, [1, 0x7fff_0000_1000, 0, 0, 0, 0]),
        d(
            libc::SYS_socket,
            [0xffff, libc::SOCK_RAW as u64, 0, 0, 0, 0],
        ),
        d(libc::SYS_getppid, [0; 6]),
    ]
}

fn main() {
    let lib = Lib::load();
    if lib.is_none() {
        println!(
            "libseccomp.so.2 is missing (apt-get install libseccomp-dev): its rows are left out\n"
        );
    }
    let calls: [fn(); 3] = [write_empty, socket_denied, getppid];
    let mut jobs: Vec<Job> = Vec::new();
    let mut job = |program: Option<&'static [SockFilter]>, spec_allow: bool, call: fn()| {
        jobs.push(Job {
            program,
            spec_allow,
            call,
            runs: Vec::new(),
        });
        Some(jobs.len() - 1)
    };
    let base = calls.map(|c| job(None, false, c));
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    let mut spec = None;
    let mut weighting_rows = Vec::new();
    for (name, text) in POLICIES {
        let ast = syntax::parse_str(text).expect("parses");
        let policy = resolve::resolve(&ast, Arch::X86_64).expect("resolves");
        let ours = compile_resolved(&policy)
            .expect("compiles")
            .to_sock_filters()
            .expect("no symbols");
        if *name != "seed" {
            weighting(&mut weighting_rows, name, &policy, &ours);
        }
        let mut programs: Vec<(&str, Vec<SockFilter>)> = vec![("seccomp-rs", ours)];
        if let Some(lib) = &lib {
            let rules = lib_rules(&policy);
            let default = policy.abis[0].default;
            programs.push((
                "libseccomp",
                lib.build(Arch::X86_64, default, &rules, 1).expect("x86_64"),
            ));
            programs.push((
                "libseccomp tree",
                lib.build(Arch::X86_64, default, &rules, 2).expect("x86_64"),
            ));
        }
        for (compiler, bpf) in &programs[1..] {
            let n = disagreements(&programs[0].1, bpf);
            if n != 0 {
                notes.push(format!(
                    "{name}: {compiler} decides {n} of the sampled inputs differently"
                ));
            }
        }
        for (compiler, bpf) in programs {
            let stats = stats::measure(&bpf, &policy.abis[0]).expect("the program runs");
            let bpf: &'static [SockFilter] = Vec::leak(bpf);
            // The seed policy kills everything but its three syscalls.
            let jobs = if *name == "seed" {
                [job(Some(bpf), false, calls[0]), None, None]
            } else {
                calls.map(|c| job(Some(bpf), false, c))
            };
            if *name == "container" && compiler == "seccomp-rs" {
                spec = Some(calls.map(|c| job(Some(bpf), true, c)));
            }
            let insns =
                call_data().map(|d| simulate_counted(bpf, &d, Endian::Little).ok().map(|r| r.1));
            let insns = [insns[0], jobs[1].and(insns[1]), jobs[2].and(insns[2])];
            rows.push(Row {
                policy: name,
                compiler,
                stats,
                jobs,
                insns,
            });
        }
    }
    time_all(&mut jobs);
    if std::env::var_os("BENCH_RUNS").is_some() {
        for j in &jobs {
            let mut r = j.runs.clone();
            r.sort_by(f64::total_cmp);
            eprintln!("{:?}", r.iter().map(|x| *x as u32).collect::<Vec<_>>());
        }
    }
    let ns = |j: Option<usize>| fmt_ns(j.and_then(|j| fastest(&jobs[j].runs)));
    let ns_insns = |j: Option<usize>, n: Option<usize>| match n {
        Some(n) => format!("{} ({n})", ns(j)),
        None => ns(j),
    };

    println!(
        "x86_64, Linux {}, {}\n\
         length: instructions; mean, max: instructions executed over every number 0..=max (arguments 0);\n\
         cached: unconditionally allowed syscalls the kernel's action cache serves without running the filter;\n\
         arg-checked write(1, buf, 0), denied socket(0xffff, SOCK_RAW, 0), allowed getppid(): ns per call \
         (fastest of {ROUNDS} runs of {CALLS}, interleaved,\n\
         pinned to one CPU) and, in parentheses, the instructions the filter executes for it\n",
        kernel(),
        cpu()
    );
    line(
        [
            "policy",
            "compiler",
            "length",
            "mean",
            "max",
            "cached",
            "arg-checked",
            "denied",
            "allowed",
        ]
        .map(String::from),
    );
    line(
        ["-", "no filter", "-", "-", "-", "-"]
            .map(String::from)
            .into_iter()
            .chain(base.map(ns))
            .collect::<Vec<_>>()
            .try_into()
            .expect("9 cells"),
    );
    for r in &rows {
        line([
            r.policy.to_owned(),
            r.compiler.to_owned(),
            r.stats.len.to_string(),
            format!("{:.2}", r.stats.mean),
            r.stats.max.to_string(),
            format!(
                "{}/{}",
                r.stats.unconditional.len() - r.stats.not_cached.len(),
                r.stats.unconditional.len()
            ),
            ns_insns(r.jobs[0], r.insns[0]),
            ns_insns(r.jobs[1], r.insns[1]),
            ns_insns(r.jobs[2], r.insns[2]),
        ]);
    }
    if let Some(spec) = spec {
        line(
            ["container", "seccomp-rs [1]", "", "", "", ""]
                .map(String::from)
                .into_iter()
                .chain(spec.map(ns))
                .collect::<Vec<_>>()
                .try_into()
                .expect("9 cells"),
        );
        let ssb =
            std::fs::read_to_string("/sys/devices/system/cpu/vulnerabilities/spec_store_bypass")
                .map_or_else(|_| "unknown".into(), |s| s.trim().to_owned());
        println!(
            "\n[1] installed with SECCOMP_FILTER_FLAG_SPEC_ALLOW, which keeps the kernel from turning \
             on its speculative-store-bypass mitigation for the filtered process where it would \
             (spec_store_bypass_disable=seccomp); here: \"{ssb}\""
        );
    }
    for n in &notes {
        println!("note: {n}");
    }
    if notes.is_empty() && lib.is_some() {
        println!(
            "\nAll three programs of each policy decide alike on every number 0..=max with every argument \
             0, 1, 2 or 2^31 - 1."
        );
    }

    println!(
        "\nWould weighting the dispatch by how often syscalls are made pay? Calls the kernel's action \
         cache serves never run the filter;\nfor the others (\"filtered\"), the `jge` comparisons of the \
         balanced search against those of the best search for the workload (benches/workloads):\n"
    );
    println!(
        "{:<10} {:<9} {:>7} {:>9} {:>10} {:>10} {:>10} {:>10}",
        "policy",
        "workload",
        "calls",
        "filtered",
        "mean bal.",
        "mean wtd.",
        "worst bal.",
        "worst wtd."
    );
    for r in &weighting_rows {
        println!("{r}");
    }
    println!();

    // What the compiler does for the largest policy inside the macro: parse, then
    // compile for each of the 18 ABIs a Rust target can have.
    let (_, text) = POLICIES[2];
    let best = (0..5)
        .map(|_| {
            let start = Instant::now();
            let ast = syntax::parse_str(text).expect("parses");
            for &arch in Arch::ALL {
                if !matches!(
                    arch,
                    Arch::S390 | Arch::Parisc | Arch::Parisc64 | Arch::Sh | Arch::Sheb
                ) {
                    let _ = compile(&ast, arch);
                }
            }
            start.elapsed()
        })
        .min()
        .expect("five runs");
    println!(
        "compiler work for `container` (parse + compile for 18 ABIs, optimized, best of 5): {:.1} ms",
        best.as_secs_f64() * 1e3
    );
}

const WORKLOADS: &[(&str, &str)] = &[
    ("build", include_str!("../benches/workloads/build.tsv")),
    ("http", include_str!("../benches/workloads/http.tsv")),
];

/// `(calls, number)` of a workload's `strace -c` counts, on x86_64.
fn workload(text: &str) -> Vec<(u64, u32)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (calls, name) = l.split_once('\t')?;
            Some((calls.parse().ok()?, Arch::X86_64.syscall(name)?.nr))
        })
        .collect()
}

/// The depth (comparisons) of each range in the search `codegen` emits: `jge` on
/// the first number of the middle range, halves until one range is left.
fn balanced_depths(n: usize) -> Vec<u32> {
    fn go(lo: usize, hi: usize, d: u32, out: &mut [u32]) {
        if hi - lo == 1 {
            out[lo] = d;
            return;
        }
        let mid = lo + (hi - lo) / 2;
        go(lo, mid, d + 1, out);
        go(mid, hi, d + 1, out);
    }
    let mut out = vec![0; n];
    go(0, n, 0, &mut out);
    out
}

/// The depths of the `jge` search tree over ranges of these weights with the least
/// weighted depth (the optimal alphabetic tree, by dynamic programming).
fn weighted_depths(w: &[f64]) -> Vec<u32> {
    let n = w.len();
    let mut prefix = vec![0.0; n + 1];
    for i in 0..n {
        prefix[i + 1] = prefix[i] + w[i];
    }
    // cost[i][j], split[i][j] for ranges i..=j.
    let mut cost = vec![vec![0.0f64; n]; n];
    let mut split = vec![vec![0usize; n]; n];
    for len in 2..=n {
        for i in 0..=n - len {
            let j = i + len - 1;
            let (mut best, mut at) = (f64::INFINITY, i + 1);
            for k in i + 1..=j {
                let c = cost[i][k - 1] + cost[k][j];
                if c < best {
                    (best, at) = (c, k);
                }
            }
            cost[i][j] = best + prefix[j + 1] - prefix[i];
            split[i][j] = at;
        }
    }
    fn walk(i: usize, j: usize, d: u32, split: &[Vec<usize>], out: &mut [u32]) {
        if i == j {
            out[i] = d;
            return;
        }
        let k = split[i][j];
        walk(i, k - 1, d + 1, split, out);
        walk(k, j, d + 1, split, out);
    }
    let mut out = vec![0; n];
    walk(0, n - 1, 0, &split, &mut out);
    out
}

/// Would weighting the search by how often each syscall is made pay? Only calls the
/// kernel's action cache does not serve run the filter, so only they weigh.
fn weighting(rows: &mut Vec<String>, name: &str, policy: &Policy, bpf: &[SockFilter]) {
    let ir = seccomp_compiler::prune::prune(&seccomp_compiler::lower::lower(policy));
    let ranges = &ir.arches[0].ranges;
    let range_of = |nr: u32| ranges.partition_point(|&(start, _)| start <= nr) - 1;
    let balanced = balanced_depths(ranges.len());
    for (wname, text) in WORKLOADS {
        let calls = workload(text);
        let total: u64 = calls.iter().map(|c| c.0).sum();
        let mut weights = vec![0.0f64; ranges.len()];
        let mut filtered = 0u64;
        for &(n, nr) in &calls {
            if !stats::served_by_cache(bpf, Arch::X86_64, nr) {
                filtered += n;
                weights[range_of(nr)] += n as f64;
            }
        }
        // A range no call of the workload reaches still needs a place in the tree.
        let w: Vec<f64> = weights.iter().map(|&x| x + 1e-6).collect();
        let weighted = weighted_depths(&w);
        let mean = |d: &[u32]| {
            weights
                .iter()
                .zip(d)
                .map(|(w, &d)| w * f64::from(d))
                .sum::<f64>()
                / (filtered.max(1) as f64)
        };
        rows.push(format!(
            "{:<10} {:<9} {:>7} {:>8.1}% {:>10.2} {:>10.2} {:>10} {:>10}",
            name,
            wname,
            total,
            100.0 * filtered as f64 / total as f64,
            mean(&balanced),
            mean(&weighted),
            balanced.iter().max().unwrap_or(&0),
            weighted.iter().max().unwrap_or(&0),
        ));
    }
}

fn cpu() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "?".into())
}

fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or_else(|_| "?".into(), |s| s.trim().to_owned())
}
