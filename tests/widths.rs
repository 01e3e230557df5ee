//! The real kernel, from the attacker's side: parameters declared `long` that the
//! kernel narrows to 32 bits, called with garbage in the high word of the register
//! (`xtask/data/effective-widths.tsv`). Each deny rule must hold; a control run
//! under a filter that allows everything shows the kernel really ignores the
//! high word (the call reaches the low-word fd, pid or flags).
//!
//! On x86_64, and on i386 through `int 0x80` (where the kernel reads 32-bit
//! registers: a high word put in rbx never reaches the filter; tested too).

#![cfg(target_arch = "x86_64")]

use seccomp_rt::{Filter, seccomp};
use seccomp_tests::{
    Call, Outcome, child_main, ended, run_in_child, run_scenario, say, scenario_main,
};

#[test]
fn child() {
    child_main();
    scenario_main(&[("int80_writev", int80_writev), ("int80_clone", int80_clone)]);
}

/// `int 0x80` from 64-bit code with the whole 64-bit rbx, ecx and edx: the i386 ABI.
fn int80_3(nr: u32, rbx: u64, ecx: u32, edx: u32) -> i32 {
    let ret: i32;
    // SAFETY: the callers make calls that touch no memory (writev of 0 segments,
    // clone without a stack, which returns 0 in a child that `_exit`s at once).
    // rbx, which LLVM reserves, is swapped back after.
    unsafe {
        core::arch::asm!(
            "xchg {a}, rbx",
            "int 0x80",
            "xchg {a}, rbx",
            a = inout(reg) rbx => _,
            inlateout("eax") nr as i32 => ret,
            in("ecx") ecx,
            in("edx") edx,
            options(nostack),
        )
    };
    ret
}

const I386_WRITEV: u32 = 146;
const I386_CLONE: u32 = 120;

static I386_WRITEV_FD2: Filter = seccomp! {
    arch: x86_64, x86;
    writev: fd == 2 => errno(EPERM);
    default => allow;
};
static I386_CLONE_17: Filter = seccomp! {
    arch: x86_64, x86;
    clone: clone_flags == 17 => errno(EPERM);
    default => allow;
};

fn int80_writev() {
    I386_WRITEV_FD2.install().expect("install");
    for rbx in [2, HIGH | 2, 0xdead_beef_0000_0002] {
        say(&format!("{} ", int80_3(I386_WRITEV, rbx, 0, 0)));
    }
    say(&format!("{}\n", int80_3(I386_WRITEV, HIGH | 1, 0, 0)));
}

fn int80_clone() {
    I386_CLONE_17.install().expect("install");
    for rbx in [SIGCHLD, HIGH | SIGCHLD] {
        let r = int80_3(I386_CLONE, rbx, 0, 0);
        if r == 0 {
            // SAFETY: the child of a clone that denied nothing ends at once.
            unsafe { libc::_exit(0) }
        }
        say(&format!("{r} "));
    }
    say("\n");
}

static ALLOW: Filter = seccomp! { default => allow; };

const HIGH: u64 = 1 << 32;
const SIGCHLD: u64 = libc::SIGCHLD as u64;

fn call(nr: i64, args: [u64; 6]) -> Call {
    Call { nr, args }
}

#[test]
fn clone_flags_with_a_high_word_is_still_denied() {
    static F: Filter = seccomp! { clone: clone_flags == 17 => errno(EPERM); default => allow; };
    // clone(SIGCHLD) with no stack is fork: the child returns 0 and `_exit`s at once.
    for flags in [SIGCHLD, HIGH | SIGCHLD, 0xdead_beef_0000_0000 | SIGCHLD] {
        let c = call(libc::SYS_clone, [flags, 0, 0, 0, 0, 0]);
        assert_eq!(
            run_in_child("child", F.program(), &c),
            Outcome::Ran(libc::EPERM),
            "clone({flags:#x})"
        );
    }
    // The kernel itself takes lower_32_bits(clone_flags): the garbage makes a process.
    let c = call(libc::SYS_clone, [HIGH | SIGCHLD, 0, 0, 0, 0, 0]);
    assert_eq!(run_in_child("child", ALLOW.program(), &c), Outcome::Ran(0));
}

#[test]
fn writev_fd_with_a_high_word_is_still_denied() {
    static F: Filter = seccomp! { writev: fd == 2 => errno(EPERM); default => allow; };
    // writev(fd, NULL, 0) writes nothing and returns 0 on a valid fd.
    for fd in [2, HIGH | 2, u64::MAX << 32 | 2] {
        let c = call(libc::SYS_writev, [fd, 0, 0, 0, 0, 0]);
        assert_eq!(
            run_in_child("child", F.program(), &c),
            Outcome::Ran(libc::EPERM),
            "writev({fd:#x})"
        );
    }
    // Without the rule the kernel writes to fd 2 (a bad fd would give EBADF).
    let c = call(libc::SYS_writev, [HIGH | 2, 0, 0, 0, 0, 0]);
    assert_eq!(run_in_child("child", ALLOW.program(), &c), Outcome::Ran(0));
}

#[test]
fn mmap_fd_with_a_high_word_is_still_denied() {
    static F: Filter = seccomp! { mmap: fd == 1 => errno(EDOM); default => allow; };
    // fd 1 is /dev/null opened write-only in the child (run_in_child): mapping it for
    // reading fails with EACCES, which shows the kernel reached fd 1; a bad fd would
    // give EBADF.
    let args = |fd: u64| {
        [
            0,
            4096,
            libc::PROT_READ as u64,
            libc::MAP_PRIVATE as u64,
            fd,
            0,
        ]
    };
    for fd in [1, HIGH | 1, 0xffff_ffff_0000_0001] {
        let c = call(libc::SYS_mmap, args(fd));
        assert_eq!(
            run_in_child("child", F.program(), &c),
            Outcome::Ran(libc::EDOM),
            "mmap(fd {fd:#x})"
        );
    }
    let c = call(libc::SYS_mmap, args(HIGH | 1));
    assert_eq!(
        run_in_child("child", ALLOW.program(), &c),
        Outcome::Ran(libc::EACCES)
    );
}

#[test]
fn ptrace_pid_with_a_high_word_is_still_denied() {
    static F: Filter = seccomp! { ptrace: pid == 1 => errno(EDOM); default => allow; };
    // PTRACE_PEEKDATA on a task we do not trace: ESRCH once the kernel found pid 1.
    let args = |pid: u64| [libc::PTRACE_PEEKDATA as u64, pid, 0, 0, 0, 0];
    for pid in [1, HIGH | 1, 0x7fff_ffff_0000_0001] {
        let c = call(libc::SYS_ptrace, args(pid));
        assert_eq!(
            run_in_child("child", F.program(), &c),
            Outcome::Ran(libc::EDOM),
            "ptrace(pid {pid:#x})"
        );
    }
    let c = call(libc::SYS_ptrace, args(HIGH | 1));
    assert_eq!(
        run_in_child("child", ALLOW.program(), &c),
        Outcome::Ran(libc::ESRCH)
    );
}

#[test]
fn readv_count_with_a_high_word_is_still_denied() {
    static F: Filter = seccomp! { readv: vlen > 1024 => errno(EDOM); default => allow; };
    // vlen (1 << 32) | 0 is 0 segments for import_iovec: readv returns 0 at once.
    let c = call(libc::SYS_readv, [0, 0, HIGH, 0, 0, 0]);
    assert_eq!(run_in_child("child", ALLOW.program(), &c), Outcome::Ran(0));
    // An allow-list of small counts: the high word does not turn 0 into "too many".
    assert_eq!(run_in_child("child", F.program(), &c), Outcome::Ran(0));
    let c = call(libc::SYS_readv, [0, 0, HIGH | 2000, 0, 0, 0]);
    assert_eq!(
        run_in_child("child", F.program(), &c),
        Outcome::Ran(libc::EDOM)
    );
}

#[test]
fn a_prot_bit_the_kernel_does_not_know_cannot_get_mmap_past_a_rule() {
    let anon = (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS) as u64;
    let read = libc::PROT_READ as u64;
    let args = |prot: u64| [0, 4096, prot, anon, u64::MAX, 0];
    // The kernel maps PROT_READ | 1 << 30 as PROT_READ (mm/mmap.c do_mmap).
    let c = call(libc::SYS_mmap, args(read | 1 << 30));
    assert_eq!(run_in_child("child", ALLOW.program(), &c), Outcome::Ran(0));
    // So the exact rule, which that call would slip past, is refused…
    let e = seccomp_compiler::compile_str(
        "mmap: prot == 1 => errno(EDOM); default => allow;",
        seccomp_compiler::Arch::X86_64,
    )
    .map(|_| ())
    .expect_err("an escapable rule is refused");
    assert!(e[0].message.contains("can be evaded"), "{}", e[0].message);
    // …and the masked one it proposes holds.
    static F: Filter = seccomp! {
        mmap: prot & (libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC) == libc::PROT_READ
            => errno(EDOM);
        default => allow;
    };
    for prot in [read, read | 1 << 30, read | 1 << 40] {
        let c = call(libc::SYS_mmap, args(prot));
        assert_eq!(
            run_in_child("child", F.program(), &c),
            Outcome::Ran(libc::EDOM),
            "mmap(prot {prot:#x})"
        );
    }
}

/// Whether `int 0x80` works here (a kernel may lack IA32 emulation).
fn has_ia32() -> bool {
    let r: i32;
    // SAFETY: getpid through int 0x80, no arguments.
    unsafe { core::arch::asm!("int 0x80", inlateout("eax") 20 => r, options(nostack)) };
    r > 0
}

/// Not a regression test: it holds by the i386 ABI itself (the kernel reads ebx, and
/// `seccomp_data` gets it zero-extended); it shows that no high word reaches an x86
/// filter, so the x86 rules need no narrowing.
#[test]
fn i386_calls_through_int_0x80_are_denied_whatever_rbx_holds_above_ebx() {
    if !has_ia32() {
        eprintln!("NOTE: this kernel has no IA32 emulation: the int 0x80 width cases were not run");
        return;
    }
    let o = run_scenario("child", "int80_writev");
    assert!(o.status.success(), "{}", ended(&o));
    // fd 2 with any high word in rbx is denied; fd 1 writes nothing and succeeds.
    let e = libc::EPERM;
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("-{e} -{e} -{e} 0\n")
    );
    let o = run_scenario("child", "int80_clone");
    assert!(o.status.success(), "{}", ended(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), format!("-{e} -{e} \n"));
}
