//! Any well-formed policy → a program the kernel's rules accept, whose simulated
//! decisions equal the policy's meaning, on inputs derived from the fuzz input.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use seccomp_bpf::ret::Action;
use seccomp_bpf::{Endian, SeccompData, check, simulate};
use seccomp_compiler::tables::ParamClass;
use seccomp_compiler::{Arch, compile_resolved, interp, resolve, syntax};

#[derive(Arbitrary, Debug)]
struct Cmp {
    param: u8,
    op: u8,
    value: u64,
    mask: Option<u64>,
}

#[derive(Arbitrary, Debug)]
struct Rule {
    syscall: u16,
    any: Vec<Vec<Cmp>>,
    action: u8,
}

#[derive(Arbitrary, Debug)]
struct Input {
    arch: u8,
    rules: Vec<Rule>,
    default: u8,
    data: Vec<(u8, u16, [u64; 6])>,
}

fn action(a: u8) -> &'static str {
    [
        "allow",
        "kill",
        "kill_thread",
        "errno(EPERM)",
        "errno(4095)",
        "trap(7)",
        "log",
        "trace(1)",
    ][usize::from(a) % 8]
}

fn range(class: ParamClass, reg: u8) -> Option<(i128, i128)> {
    let (bits, signed) = match class {
        ParamClass::Int32 => (32, true),
        ParamClass::Uint32 => (32, false),
        ParamClass::Uint16 => (16, false),
        ParamClass::Long => (reg, true),
        ParamClass::Ulong | ParamClass::Pointer => (reg, false),
        ParamClass::Int64 => (64, true),
        ParamClass::Uint64 => (64, false),
        _ => return None,
    };
    let b = u32::from(bits);
    Some(if signed {
        (-(1i128 << (b - 1)), (1i128 << (b - 1)) - 1)
    } else {
        (0, (1i128 << b) - 1)
    })
}

fn fit(v: u64, (min, max): (i128, i128)) -> i128 {
    let span = (max - min + 1) as u128;
    min + (u128::from(v) % span) as i128
}

fuzz_target!(|input: Input| {
    let arch = Arch::ALL[usize::from(input.arch) % Arch::ALL.len()];
    let t = arch.table();
    let mut text = String::new();
    for r in input.rules.iter().take(8) {
        let sc = &t.syscalls[usize::from(r.syscall) % t.syscalls.len()];
        let params: Vec<(&str, (i128, i128))> = sc
            .params
            .unwrap_or(&[])
            .iter()
            .filter_map(|p| Some((p.name, range(p.class, t.reg_bits)?)))
            .collect();
        let mut alts = Vec::new();
        for and in r.any.iter().take(3) {
            let conds: Vec<String> = and
                .iter()
                .take(3)
                .filter(|_| !params.is_empty())
                .map(|c| {
                    let (name, rg) = params[usize::from(c.param) % params.len()];
                    let op = ["==", "!=", "<", "<=", ">", ">="][usize::from(c.op) % 6];
                    let lhs = match c.mask {
                        Some(m) => format!("({name} & {})", fit(m, (0, rg.1))),
                        None => name.to_owned(),
                    };
                    format!("{lhs} {op} {}", fit(c.value, rg))
                })
                .collect();
            if !conds.is_empty() {
                alts.push(format!("({})", conds.join(" && ")));
            }
        }
        if alts.is_empty() {
            text.push_str(&format!("{} => {};\n", sc.name, action(r.action)));
        } else {
            text.push_str(&format!(
                "{}: {} => {};\n",
                sc.name,
                alts.join(" || "),
                action(r.action)
            ));
        }
    }
    text.push_str(&format!("default => {};\n", action(input.default)));
    let ast = syntax::parse_str(&text)
        .unwrap_or_else(|e| panic!("generated text must parse: {}\n{text}", e[0].message));
    // Unreachable rules and multiplexer bypasses are legitimately refused.
    let Ok(policy) = resolve::resolve(&ast, arch) else {
        return;
    };
    let program = compile_resolved(&policy).expect("a resolved policy compiles or is too large");
    let bpf = program.to_sock_filters().expect("no symbols");
    check(&bpf).expect("the kernel's rules");
    let endian = if arch.is_big_endian() {
        Endian::Big
    } else {
        Endian::Little
    };
    let nrs: Vec<u32> = policy.abis[0].syscalls.keys().copied().collect();
    for (which, nr, args) in input.data.iter().take(16) {
        let nr = if nrs.is_empty() || which % 4 == 0 {
            u32::from(*nr)
        } else {
            nrs[usize::from(*nr) % nrs.len()]
        };
        let audit = if which % 8 == 1 {
            Arch::ALL[usize::from(*which) % Arch::ALL.len()].audit_arch()
        } else {
            arch.audit_arch()
        };
        let args = if t.reg_bits == 32 {
            args.map(|a| a & 0xffff_ffff)
        } else {
            *args
        };
        let d = SeccompData {
            nr: nr as i32,
            arch: audit,
            instruction_pointer: 0,
            args,
        };
        let want = interp::evaluate(&policy, &d).expect("no symbols");
        let got = Action::from_ret(simulate(&bpf, &d, endian).expect("runs"));
        assert_eq!(got, want, "{text}{d:x?}");
    }
});
