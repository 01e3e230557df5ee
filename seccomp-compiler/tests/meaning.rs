//! Random policies × random inputs, on every ABI: the compiled program, run in the
//! simulator, decides exactly what the policy means (evaluated directly by
//! `interp::evaluate`), and every program passes the kernel's rules.
//!
//! The default run checks more than 10⁵ cases; `SECCOMP_MEANING_CASES=N` sets the
//! number of inputs per policy (default 40) and `SECCOMP_MEANING_POLICIES=N` the
//! number of policies per ABI (default 150).

use seccomp_bpf::ret::Action;
use seccomp_bpf::{Endian, SeccompData, check, simulate};
use seccomp_compiler::tables::ParamClass;
use seccomp_compiler::{Arch, compile_resolved, interp, resolve, syntax};

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

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
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
    /// Constants used, to aim inputs at their edges.
    constants: Vec<u64>,
}

impl Gen<'_> {
    fn action(&mut self) -> String {
        match self.rng.below(9) {
            0 | 1 => "allow".into(),
            2 => "kill".into(),
            3 => "kill_thread".into(),
            4 => format!("errno({})", self.rng.below(4096)),
            5 => "errno(EPERM)".into(),
            6 => format!("trap({})", self.rng.below(65536)),
            7 => "log".into(),
            _ => format!("trace({})", self.rng.below(3)),
        }
    }

    fn comparison(&mut self, params: &[(String, u8, bool)]) -> String {
        let (name, bits, signed) = self.rng.pick(params).clone();
        let mut operand = name;
        let mut mask = None;
        if self.rng.chance(20) {
            let m = literal(self.rng, bits, false).max(0);
            let m = if signed && m >= 1i128 << (bits - 1) {
                m >> 1
            } else {
                m
            };
            // A mask of 0 decides every comparison (an error): use 1.
            let m = m.max(1);
            operand = format!("{operand} & {m}");
            self.constants.push(m as u64);
            mask = Some(m);
        }
        // A value with bits outside the mask, or an ordering the mask alone decides,
        // is an error: masked comparisons take the value masked, and orderings a
        // value strictly inside 0..mask (plain `==` when the mask leaves no room).
        let fit = |v: i128, ordering: bool| match mask {
            None => v,
            Some(m) if !ordering => v & m,
            Some(m) if m >= 2 => 1 + v.rem_euclid(m - 1),
            Some(_) => v,
        };
        if self.rng.chance(15) {
            // Short lists stay chains of `jeq`; long ones become searches.
            let n = if self.rng.chance(30) {
                8 + self.rng.below(16)
            } else {
                1 + self.rng.below(4)
            };
            let vals: Vec<String> = (0..n)
                .map(|_| {
                    let v = fit(literal(self.rng, bits, signed), false);
                    self.constants.push(v as u64);
                    v.to_string()
                })
                .collect();
            return format!("{operand} in [{}]", vals.join(", "));
        }
        let mut op = *self.rng.pick(&["==", "!=", "<", "<=", ">", ">="]);
        let ordering = !matches!(op, "==" | "!=");
        if ordering && mask.is_some_and(|m| m < 2) {
            op = "==";
        }
        let v = fit(literal(self.rng, bits, signed), ordering && op != "==");
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
            // A raw number of the ABI: mips's are in their ABI's range of 1000,
            let n = match self.arch {
                Arch::Mips | Arch::Mipsel => 4500 + self.rng.below(500),
                Arch::Mips64 | Arch::Mipsel64 => 5500 + self.rng.below(500),
                Arch::Mips64n32 | Arch::Mipsel64n32 => 6500 + self.rng.below(500),
                // x32's carry bit 30.
                Arch::X32 => 0x4000_0000 + 1000 + self.rng.below(3000),
                _ => 1000 + self.rng.below(3000),
            };
            out.push_str(&format!("{n} => errno(1);\n"));
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
        if self.arch == Arch::X86_64 && self.rng.chance(40) {
            const ARCHES: [&str; 3] = [
                "arch: x86_64, x32;\n",
                "arch: x86_64, x86;\n",
                "arch: x86, x86_64, x32;\n",
            ];
            let line = *self.rng.pick(&ARCHES);
            out.push_str(line);
        }
        out
    }
}

fn input(rng: &mut Rng, arch: Arch, policy_nrs: &[u32], constants: &[u64]) -> SeccompData {
    let t = arch.table();
    let audit = match rng.below(10) {
        0 => rng.pick(Arch::ALL).audit_arch(),
        1 => rng.next() as u32,
        _ => arch.audit_arch(),
    };
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
        // The kernel sees garbage or a sign extension in the high word of 32-bit
        // parameters on 64-bit ABIs; 32-bit ABIs always see zero there.
        *a = if t.reg_bits == 32 {
            low & 0xffff_ffff
        } else {
            match rng.below(4) {
                0 => low & 0xffff_ffff,
                1 => (low & 0xffff_ffff) | (rng.next() << 32),
                2 => i64::from(low as u32 as i32) as u64,
                _ => low,
            }
        };
    }
    SeccompData {
        nr: nr as i32,
        arch: audit,
        instruction_pointer: rng.next(),
        args,
    }
}

#[test]
fn compiled_programs_decide_what_policies_mean() {
    let policies = env("SECCOMP_MEANING_POLICIES", 150);
    let cases = env("SECCOMP_MEANING_CASES", 40);
    let mut total = 0usize;
    let mut refused = 0usize;
    for (ai, &arch) in Arch::ALL.iter().enumerate() {
        let mut rng = Rng(0x5ecc_0000 + ai as u64);
        let endian = if arch.is_big_endian() {
            Endian::Big
        } else {
            Endian::Little
        };
        for _ in 0..policies {
            let mut g = Gen {
                rng: &mut rng,
                arch,
                constants: Vec::new(),
            };
            let text = g.policy();
            let constants = g.constants;
            let ast = syntax::parse_str(&text)
                .unwrap_or_else(|e| panic!("{arch}: parse {text}: {}", e[0].message));
            let resolved = match resolve::resolve(&ast, arch) {
                Ok(r) => r,
                Err(e) => {
                    // Unreachable rules, multiplexer bypasses (a direct call denied or
                    // checked while socketcall/ipc "makes the same call"), rules on what
                    // the kernel never filters (x86_64's uprobe) and unmasked flags whose
                    // unknown bits the kernel ignores are legitimately refused; with `arch:`,
                    // so are names and values that only fit the native ABI.
                    let multi = text.contains("arch:");
                    assert!(
                        e.iter().all(|d| multi
                            || d.message.contains("unreachable")
                            || d.message.contains("bypass")
                            || d.message.contains("makes the same call")
                            || d.message.contains("never filters")
                            || d.message.contains("can be evaded")),
                        "{arch}: {text}\n{}",
                        e[0].message
                    );
                    refused += 1;
                    continue;
                }
            };
            let prog = compile_resolved(&resolved)
                .unwrap_or_else(|e| panic!("{arch}: {text}: {}", e[0].message));
            let bpf = prog.to_sock_filters().expect("no symbols");
            check(&bpf).unwrap_or_else(|e| panic!("{arch}: kernel would refuse: {e}\n{text}"));
            let nrs: Vec<u32> = resolved
                .abis
                .iter()
                .flat_map(|a| a.syscalls.keys().copied())
                .collect();
            for _ in 0..cases {
                let d = input(&mut rng, arch, &nrs, &constants);
                let want = interp::evaluate(&resolved, &d).expect("no symbols");
                let got = Action::from_ret(simulate(&bpf, &d, endian).expect("runs"));
                assert_eq!(
                    got,
                    want,
                    "{arch}: policy:\n{text}\ninput: {d:x?}\nprogram:\n{}",
                    seccomp_bpf::disasm::Disasm::new(&bpf, endian)
                );
                total += 1;
            }
        }
    }
    assert!(
        refused * 5 < policies * Arch::ALL.len(),
        "{refused} policies refused"
    );
    if policies >= 150 && cases >= 40 {
        assert!(total >= 100_000, "only {total} cases");
    }
    eprintln!("{total} cases checked ({refused} generated policies refused)");
}
