//! The real kernel from the attacker's side, each case in a child process: i386
//! syscalls through `int 0x80` and x32 numbers against an x86_64 filter, the number
//! −1, and every other ABI's program loaded by the kernel (whose next syscall then
//! takes the `bad_arch` path — which also proves the arch check).
//!
//! A kernel built without IA32 emulation or x32 cannot run some of these: the tests
//! detect that and say so on stderr, rather than pass silently.
#![cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]

use seccomp_compiler::{Arch, compile_str};
use seccomp_rt::{Filter, seccomp};
use seccomp_tests::{
    Call, Outcome, child_main, ended, run_in_child, run_scenario, say, scenario_main,
};

/// `int 0x80` from 64-bit code: the i386 ABI, seen by filters as `AUDIT_ARCH_I386`.
fn int80(nr: u32) -> i32 {
    let ret: i32;
    // SAFETY: a syscall without arguments (ebx is reserved by LLVM and not used).
    unsafe { core::arch::asm!("int 0x80", inlateout("eax") nr as i32 => ret, options(nostack)) };
    ret
}

/// `int 0x80` with three arguments (ebx, ecx, edx).
fn int80_3(nr: u32, a: u32, b: u32, c: u32) -> i32 {
    let ret: i32;
    // SAFETY: the callers pass a socket call's arguments; pointers among them point
    // to live memory below 4 GiB. rbx, which LLVM reserves, is swapped back after.
    unsafe {
        core::arch::asm!(
            "xchg {a:r}, rbx",
            "int 0x80",
            "xchg {a:r}, rbx",
            a = inout(reg) u64::from(a) => _,
            inlateout("eax") nr as i32 => ret,
            in("ecx") b,
            in("edx") c,
            options(nostack),
        )
    };
    ret
}

/// A zeroed page below 4 GiB, where i386 calls can point.
fn low_page() -> &'static mut [u32; 1024] {
    // SAFETY: a fresh anonymous mapping, never unmapped.
    let p = unsafe {
        libc::mmap(
            core::ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_32BIT,
            -1,
            0,
        )
    };
    assert_ne!(p, libc::MAP_FAILED);
    // SAFETY: 4096 bytes, aligned, zeroed, owned from here on.
    unsafe { &mut *p.cast::<[u32; 1024]>() }
}

const I386_SOCKETCALL: u32 = 102;
const I386_SOCKET: u32 = 359;
const SYS_SOCKET: u32 = 1;
const SYS_ACCEPT: u32 = 5;
const SYS_SOCKETPAIR: u32 = 8;
const SYS_SETSOCKOPT: u32 = 14;

const I386_GETPID: u32 = 20;
const X32_GETPID: i64 = 0x4000_0000 | 39;

fn raw(nr: i64) -> (i64, i32) {
    // SAFETY: argument-less syscalls.
    let r = unsafe { libc::syscall(nr) };
    (
        r,
        std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
    )
}

static X86_64_ONLY: Filter = seccomp! { getpid => errno(EPERM); default => allow; };
static WITH_I386: Filter =
    seccomp! { arch: x86_64, x86; getpid => errno(EPERM); default => allow; };
static WITH_X32: Filter =
    seccomp! { arch: x86_64, x32; getpid => errno(EACCES); default => allow; };
static DENY_SOCKET: Filter = seccomp! {
    arch: x86_64, x86; socket => errno(EPERM); accept? => errno(EACCES);
    allow: equivalent_allowed; default => allow;
};
static DENY_SETSOCKOPT_CALL: Filter = seccomp! {
    arch: x86_64, x86;
    socketcall?: call == 14 => errno(EACCES);
    setsockopt: level == 1 => errno(EPERM);
    default => allow;
};
static UNKNOWN: Filter = seccomp! { unknown => errno(ENOSYS); default => allow; bad_arch => kill; };

fn probe() {
    say(&format!("int80 getpid {}\n", int80(I386_GETPID)));
    let (r, e) = raw(X32_GETPID);
    say(&format!("x32 getpid {r} errno {e}\n"));
}

fn i386_against_x86_64_only() {
    X86_64_ONLY.install().expect("install");
    say("installed\n");
    int80(I386_GETPID);
    say("not killed\n");
}

fn i386_admitted() {
    WITH_I386.install().expect("install");
    say(&format!("int80 getpid {}\n", int80(I386_GETPID)));
}

fn x32_against_x86_64_only() {
    X86_64_ONLY.install().expect("install");
    say("installed\n");
    raw(X32_GETPID);
    say("not killed\n");
}

fn x32_admitted() {
    WITH_X32.install().expect("install");
    let (r, e) = raw(X32_GETPID);
    say(&format!("x32 getpid {r} errno {e}\n"));
}

fn socket_through_socketcall() {
    let page = low_page();
    // socket(AF_UNIX, SOCK_STREAM, 0), then socketpair(AF_UNIX, SOCK_STREAM, 0, sv).
    page[..3].copy_from_slice(&[1, 1, 0]);
    let args = page.as_ptr() as usize as u32;
    page[4..8].copy_from_slice(&[1, 1, 0, args + 32]);
    DENY_SOCKET.install().expect("install");
    let mux = int80_3(I386_SOCKETCALL, SYS_SOCKET, args, 0);
    let direct = int80_3(I386_SOCKET, 1, 1, 0);
    let pair = int80_3(I386_SOCKETCALL, SYS_SOCKETPAIR, args + 16, 0);
    // i386 has no accept syscall: only socketcall(SYS_ACCEPT) makes it.
    page[12..15].copy_from_slice(&[u32::MAX, 0, 0]);
    let accept = int80_3(I386_SOCKETCALL, SYS_ACCEPT, args + 48, 0);
    let (native, e) = raw(libc::SYS_socket);
    say(&format!(
        "socketcall(SYS_SOCKET) {mux}, socket {direct}, socketcall(SYS_SOCKETPAIR) {pair}, socketcall(SYS_ACCEPT) {accept}, x86_64 socket {native} errno {e}\n"
    ));
}

fn setsockopt_through_socketcall() {
    let page = low_page();
    // setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4) on an AF_UNIX socket.
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0) };
    assert!(fd >= 0);
    let base = page.as_ptr() as usize as u32;
    page[8] = 1;
    page[..5].copy_from_slice(&[fd as u32, 1, 2, base + 32, 4]);
    DENY_SETSOCKOPT_CALL.install().expect("install");
    let mux = int80_3(I386_SOCKETCALL, SYS_SETSOCKOPT, base, 0);
    say(&format!("socketcall(SYS_SETSOCKOPT) {mux}\n"));
}

fn minus_one() {
    UNKNOWN.install().expect("install");
    let (r, e) = raw(-1);
    say(&format!("syscall -1: {r} errno {e}\n"));
}

fn errno_edges() {
    static F: Filter = seccomp! { getpid => errno(0); getppid => errno(4095); default => allow; };
    F.install().expect("install");
    // errno(0): the call "succeeds" with 0 without running; errno(4095), the largest.
    let (pid, _) = raw(libc::SYS_getpid);
    let (ppid, e) = raw(libc::SYS_getppid);
    say(&format!("getpid {pid}, getppid {ppid} errno {e}\n"));
}

/// `uretprobe` (335) and `uprobe` (336) made directly, not from a uprobe trampoline.
fn probe_syscall(nr: i64) {
    say("calling\n");
    let (r, e) = raw(nr);
    say(&format!("returned {r} errno {e}\n"));
}

static DENY_ALL: Filter =
    seccomp! { write; exit_group; allow: memory_errno; default => errno(EPERM); };

/// A raw x32 number in a filter that admits x32: a rule of x32's.
fn x32_raw_number() {
    static F: Filter =
        seccomp! { arch: x86_64, x32; 0x40000027 => errno(EPERM); default => allow; };
    F.install().expect("install");
    let (r, e) = raw(X32_GETPID);
    let (pid, _) = raw(libc::SYS_getpid);
    say(&format!("x32 getpid {r} errno {e}, getpid {}\n", pid > 0));
}

const SCENARIOS: &[(&str, fn())] = &[
    ("x32_raw_number", x32_raw_number),
    ("bare_uretprobe", || probe_syscall(335)),
    ("bare_uprobe", || probe_syscall(336)),
    ("filtered_uretprobe", || {
        DENY_ALL.install().expect("install");
        probe_syscall(335);
    }),
    ("filtered_uprobe", || {
        DENY_ALL.install().expect("install");
        probe_syscall(336);
    }),
    ("errno_edges", errno_edges),
    ("probe", probe),
    ("i386_against_x86_64_only", i386_against_x86_64_only),
    ("i386_admitted", i386_admitted),
    ("x32_against_x86_64_only", x32_against_x86_64_only),
    ("x32_admitted", x32_admitted),
    ("minus_one", minus_one),
    ("socket_through_socketcall", socket_through_socketcall),
    (
        "setsockopt_through_socketcall",
        setsockopt_through_socketcall,
    ),
];

#[test]
fn child() {
    child_main();
    scenario_main(SCENARIOS);
}

fn out(scenario: &str) -> (String, std::process::Output) {
    let o = run_scenario("child", scenario);
    (String::from_utf8_lossy(&o.stdout).into_owned(), o)
}

/// Says something on the real stderr, past the test harness's capture, so that a
/// kernel that cannot run a case is reported in every run.
fn note(text: &str) {
    let line = format!("NOTE: {text}\n");
    // SAFETY: a valid buffer.
    unsafe { libc::write(2, line.as_ptr().cast(), line.len()) };
}

/// What this kernel supports, found once without a filter: (IA32, x32).
fn kernel_has() -> (bool, bool) {
    static HAS: std::sync::OnceLock<(bool, bool)> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| {
        let (text, _) = out("probe");
        let ia32 = !text.contains(&format!("int80 getpid -{}", libc::ENOSYS));
        let x32 = !text.contains(&format!("errno {}", libc::ENOSYS));
        if !ia32 {
            note("this kernel has no IA32 emulation (int 0x80 answers ENOSYS): the i386 cases check only that the filter runs first");
        }
        if !x32 {
            note("this kernel has no x32 ABI (x32 numbers answer ENOSYS once a filter lets them through): the x32 cases check the filter's answer, not an x32 syscall running");
        }
        (ia32, x32)
    })
}

#[test]
fn i386_syscalls_through_int_0x80_take_the_bad_arch_path() {
    let _ = kernel_has();
    // The filter runs before the kernel looks the number up, IA32 or not.
    let (text, o) = out("i386_against_x86_64_only");
    assert_eq!(text, "installed\n");
    assert_eq!(ended(&o), format!("signal {}", libc::SIGSYS));
}

#[test]
fn i386_syscalls_are_filtered_by_their_own_numbers_when_admitted() {
    let (ia32, _) = kernel_has();
    let (text, o) = out("i386_admitted");
    assert!(o.status.success(), "{}", ended(&o));
    if ia32 {
        assert_eq!(text, format!("int80 getpid -{}\n", libc::EPERM));
    } else {
        assert_eq!(text, format!("int80 getpid -{}\n", libc::ENOSYS));
    }
}

#[test]
fn x32_numbers_take_the_bad_arch_path() {
    let _ = kernel_has();
    let (text, o) = out("x32_against_x86_64_only");
    assert_eq!(text, "installed\n");
    assert_eq!(ended(&o), format!("signal {}", libc::SIGSYS));
}

#[test]
fn x32_numbers_are_filtered_as_x32_when_admitted() {
    let _ = kernel_has();
    let (text, o) = out("x32_admitted");
    assert!(o.status.success(), "{}", ended(&o));
    // The filter answers before the kernel would find x32 disabled.
    assert_eq!(text, format!("x32 getpid -1 errno {}\n", libc::EACCES));
}

#[test]
fn a_denied_socket_is_denied_through_socketcall_too() {
    let (ia32, _) = kernel_has();
    let (text, o) = out("socket_through_socketcall");
    assert!(o.status.success(), "{}", ended(&o));
    let native = format!("x86_64 socket -1 errno {}", libc::EPERM);
    if ia32 {
        assert_eq!(
            text,
            format!(
                "socketcall(SYS_SOCKET) -{e}, socket -{e}, socketcall(SYS_SOCKETPAIR) 0, socketcall(SYS_ACCEPT) -{a}, {native}\n",
                e = libc::EPERM,
                a = libc::EACCES
            )
        );
    } else {
        assert_eq!(
            text,
            format!(
                "socketcall(SYS_SOCKET) -{e}, socket -{e}, socketcall(SYS_SOCKETPAIR) -{e}, socketcall(SYS_ACCEPT) -{e}, {native}\n",
                e = libc::ENOSYS
            )
        );
    }
}

#[test]
fn a_multiplexer_that_denies_a_call_makes_argument_checks_of_it_safe() {
    let (ia32, _) = kernel_has();
    let (text, o) = out("setsockopt_through_socketcall");
    assert!(o.status.success(), "{}", ended(&o));
    let e = if ia32 { libc::EACCES } else { libc::ENOSYS };
    assert_eq!(text, format!("socketcall(SYS_SETSOCKOPT) -{e}\n"));
}

#[test]
fn the_number_minus_one_gets_the_unknown_action() {
    let (text, o) = out("minus_one");
    assert!(o.status.success(), "{}", ended(&o));
    assert_eq!(text, format!("syscall -1: -1 errno {}\n", libc::ENOSYS));
}

#[test]
fn the_kernel_loads_every_other_abis_program_and_runs_its_arch_check() {
    // Compiled for another ABI, installed here: the kernel accepts the program, and
    // this process's next syscall (x86_64) takes the bad_arch path.
    let policy = "read: fd == 0; write: fd == 1 || fd == 2; exit_group; getpid => errno(EPERM); default => errno(EACCES); bad_arch => kill;";
    for &arch in Arch::ALL {
        if arch.audit_arch() == Arch::X86_64.audit_arch() {
            continue;
        }
        let program = compile_str(policy, arch)
            .expect("compiles")
            .to_sock_filters()
            .expect("no symbols");
        let outcome = run_in_child(
            "child",
            &program,
            &Call {
                nr: libc::SYS_getpid,
                args: [0; 6],
            },
        );
        assert_eq!(
            outcome,
            Outcome::Signal(libc::SIGSYS),
            "{arch}: the kernel refused the program or the arch check failed"
        );
    }
}

#[test]
fn the_kernel_loads_a_compiled_program_of_exactly_4096_instructions() {
    // Even values only: consecutive ones would be one range, two tests.
    let compile = |n: usize| {
        let vals: Vec<String> = (0..n).map(|v| (2 * v).to_string()).collect();
        compile_str(
            &format!(
                "write: fd in [{}]; exit_group; default => kill;",
                vals.join(", ")
            ),
            Arch::X86_64,
        )
        .ok()
        .and_then(|p| p.to_sock_filters())
    };
    let (mut lo, mut hi) = (1usize, 8000usize);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if compile(mid).is_some() {
            lo = mid
        } else {
            hi = mid - 1
        }
    }
    let program = compile(lo).expect("the largest list that fits");
    assert_eq!(program.len(), seccomp_bpf::MAX_INSNS);
    // Loaded: getpid then takes the default (kill), and write(1) passes the last test.
    let outcome = run_in_child(
        "child",
        &program,
        &Call {
            nr: libc::SYS_getpid,
            args: [0; 6],
        },
    );
    assert_eq!(outcome, Outcome::Signal(libc::SIGSYS));
    let last = 2 * (lo - 1) as u64;
    let outcome = run_in_child(
        "child",
        &program,
        &Call {
            nr: libc::SYS_write,
            args: [last, 0, 0, 0, 0, 0],
        },
    );
    assert!(matches!(outcome, Outcome::Ran(_)), "{outcome:?}");
}

#[test]
fn errno_0_and_4095_reach_the_caller() {
    let (text, o) = out("errno_edges");
    assert!(o.status.success(), "{}", ended(&o));
    assert_eq!(text, "getpid 0, getppid -1 errno 4095\n");
}

#[test]
fn the_simulator_shifts_by_x_as_the_kernel_does() {
    // A shift by X is not bounded by the kernel's checker (only a constant K is):
    // the kernel computes A << (X & 31). The simulator must answer what the kernel
    // does for every program the kernel accepts; each program here returns
    // errno(((A shifted by X) & 0x7f) + 1) for getpid and allows everything else.
    use seccomp_bpf::{Endian, SeccompData, SockFilter, op, ret, simulate};
    for shift in [op::LSH, op::RSH] {
        for x in [0u32, 1, 7, 31, 32, 33, 39, 63, 64, 100, 0xffff_ffff] {
            let program = [
                SockFilter::stmt(op::LD_W_ABS, 0),
                SockFilter::jump(op::JEQ_K, libc::SYS_getpid as u32, 1, 0),
                SockFilter::stmt(op::RET_K, ret::ALLOW),
                SockFilter::stmt(op::LD_IMM, 0x5a5a_5a5a),
                SockFilter::stmt(op::LDX | op::W | op::IMM, x),
                SockFilter::stmt(op::ALU | shift | op::X, 0),
                SockFilter::stmt(op::ALU_AND_K, 0x7f),
                SockFilter::stmt(op::ALU | op::ADD | op::K, 1),
                SockFilter::stmt(op::ALU | op::OR | op::K, ret::ERRNO),
                SockFilter::stmt(op::RET_A, 0),
            ];
            let data = SeccompData {
                nr: libc::SYS_getpid as i32,
                arch: Arch::X86_64.audit_arch(),
                ..SeccompData::default()
            };
            let predicted = simulate(&program, &data, Endian::Little).expect("runs") & 0xffff;
            let outcome = run_in_child(
                "child",
                &program,
                &Call {
                    nr: libc::SYS_getpid,
                    args: [0; 6],
                },
            );
            let name = if shift == op::LSH { "<<" } else { ">>" };
            assert_eq!(
                outcome,
                Outcome::Ran(predicted as i32),
                "0x5a5a5a5a {name} {x}: the kernel and the simulator differ"
            );
        }
    }
}

/// The kernel runs x86_64's `uretprobe` and `uprobe` whatever the filter says
/// (kernel/seccomp.c, `seccomp_uprobe_exception`): a filter denying every syscall
/// still lets them reach the kernel, which refuses a caller outside a uprobe
/// trampoline its own way (on 6.18: SIGILL for `uretprobe`, `ENXIO` for `uprobe`)
/// instead of answering `EPERM`. So the compiler refuses a rule that would deny or
/// check them.
#[test]
fn the_kernel_lets_uretprobe_and_uprobe_through_so_rules_on_them_are_refused() {
    for name in ["uretprobe", "uprobe"] {
        let Err(e) = compile_str(
            &format!("{name} => errno(EPERM); default => allow;"),
            Arch::X86_64,
        ) else {
            panic!("a rule denying {name} compiles");
        };
        assert!(
            e[0].message.contains("the kernel never filters"),
            "{}",
            e[0].message
        );

        let (bare_text, bare) = out(&format!("bare_{name}"));
        if bare_text.contains(&format!("errno {}", libc::ENOSYS)) {
            note(&format!(
                "this kernel has no `{name}` syscall: only the compile error is checked"
            ));
            continue;
        }
        let (text, o) = out(&format!("filtered_{name}"));
        if text.contains(&format!("errno {}", libc::EPERM)) {
            note(&format!(
                "this kernel filters `{name}` (it predates the seccomp exception): the compile error is stricter than this kernel needs"
            ));
            continue;
        }
        // The filter answered nothing: the call ended exactly as without a filter.
        assert_eq!((text, ended(&o)), (bare_text, ended(&bare)), "{name}");
    }
}

/// `0x40000027` is x32's `getpid`; with x32 admitted, a rule on that raw number is
/// x32's (it was taken as an x86_64 number, left out, and x32's getpid allowed).
#[test]
fn a_raw_x32_number_is_filtered_as_x32s() {
    let (_, x32) = kernel_has();
    let (text, o) = out("x32_raw_number");
    assert!(o.status.success(), "{}", ended(&o));
    // The filter answers before the kernel would find x32 disabled; without the rule
    // x32's getpid would run (or answer ENOSYS on a kernel without x32).
    assert_eq!(
        text,
        format!("x32 getpid -1 errno {}, getpid true\n", libc::EPERM),
        "x32 on this kernel: {x32}"
    );
}
