//! Every system call the runtime makes, and nothing else. The only `unsafe` code.

use core::fmt::{self, Write};

use seccomp_bpf::SockFilter;

/// `SECCOMP_FILTER_FLAG_TSYNC`
pub const FLAG_TSYNC: libc::c_ulong = 1;
/// `SECCOMP_FILTER_FLAG_LOG`
pub const FLAG_LOG: libc::c_ulong = 2;
/// `SECCOMP_FILTER_FLAG_SPEC_ALLOW`
pub const FLAG_SPEC_ALLOW: libc::c_ulong = 4;
/// `SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV` (Linux 5.19)
pub const FLAG_WAIT_KILLABLE_RECV: libc::c_ulong = 32;
const SECCOMP_SET_MODE_FILTER: libc::c_ulong = 1;
const SECCOMP_MODE_FILTER: libc::c_ulong = 2;

/// The `AUDIT_ARCH_*` value of the target's ABI: the one generated description of
/// every ABI (`seccomp_bpf::arch`), whose `cfg` conditions the `seccomp!` macro's
/// programs are selected by too.
pub const AUDIT_ARCH: u32 = match seccomp_bpf::arch::NATIVE {
    Some(abi) => abi.audit_arch,
    None => 0,
};

const _: () = assert!(
    seccomp_bpf::arch::NATIVE.is_some(),
    "seccomp-rt: no seccomp ABI runs this target (seccomp_bpf::arch::ARCHES lists the Linux targets without one: big-endian arm and aarch64, aarch64 ilp32, riscv32, csky, hexagon, sparc)"
);

fn errno() -> i32 {
    // SAFETY: the errno location of the calling thread is always valid.
    #[cfg(not(target_os = "android"))]
    unsafe {
        *libc::__errno_location()
    }
    // SAFETY: as above.
    #[cfg(target_os = "android")]
    unsafe {
        *libc::__errno()
    }
}

/// `prctl(PR_SET_NO_NEW_PRIVS, 1)`; `Err(errno)`.
pub fn set_no_new_privs() -> Result<(), i32> {
    // SAFETY: PR_SET_NO_NEW_PRIVS takes integer arguments only.
    let r = unsafe {
        libc::prctl(
            libc::PR_SET_NO_NEW_PRIVS,
            1 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    if r == 0 { Ok(()) } else { Err(errno()) }
}

fn fprog(program: &[SockFilter]) -> libc::sock_fprog {
    libc::sock_fprog {
        // The caller checked the program: 1 ≤ len ≤ 4096.
        len: u16::try_from(program.len()).unwrap_or(u16::MAX),
        // The kernel only reads the program; `SockFilter` has `sock_filter`'s layout.
        filter: program.as_ptr().cast::<libc::sock_filter>().cast_mut(),
    }
}

/// `seccomp(SECCOMP_SET_MODE_FILTER, flags, program)`; `Ok(return value)`, which is a
/// thread id when TSYNC fails, or `Err(errno)`.
pub fn seccomp_set_filter(
    flags: libc::c_ulong,
    program: &[SockFilter],
) -> Result<libc::c_long, i32> {
    let prog = fprog(program);
    // SAFETY: `prog` points at `program`, which outlives the call; the kernel copies it.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            SECCOMP_SET_MODE_FILTER,
            flags,
            &raw const prog,
        )
    };
    if r >= 0 { Ok(r) } else { Err(errno()) }
}

/// Asks the kernel whether `seccomp(SECCOMP_SET_MODE_FILTER, flags, …)` would get
/// past its checks of the flags and of the caller, without installing anything:
/// the program pointer is null. `kernel/seccomp.c`, `seccomp_set_mode_filter`,
/// refuses unknown or contradictory flags (`EINVAL`) before
/// `seccomp_prepare_user_filter` copies the program, which then fails with `EFAULT`;
/// an earlier filter that denies `seccomp(2)` answers with its own errno. So `EFAULT`
/// means "go on"; anything else is what the real call would answer.
pub fn seccomp_probe_flags(flags: libc::c_ulong) -> Result<(), i32> {
    // SAFETY: a null program pointer; the kernel reads nothing through it.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            SECCOMP_SET_MODE_FILTER,
            flags,
            core::ptr::null::<libc::sock_fprog>(),
        )
    };
    match (r, errno()) {
        (0.., _) => Err(libc::EINVAL),
        (_, libc::EFAULT) => Ok(()),
        (_, e) => Err(e),
    }
}

/// `prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, program)`; `Err(errno)`.
pub fn prctl_set_filter(program: &[SockFilter]) -> Result<(), i32> {
    let prog = fprog(program);
    // SAFETY: as in `seccomp_set_filter`.
    let r = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            SECCOMP_MODE_FILTER,
            &raw const prog,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    if r == 0 { Ok(()) } else { Err(errno()) }
}

/// The number of threads of the process (`/proc/self/stat`, field 20), read into a
/// stack buffer; `None` if it cannot be read.
pub fn thread_count() -> Option<u32> {
    let mut buf = [0u8; 1024];
    // SAFETY: a NUL-terminated path; the descriptor is closed below.
    let fd = unsafe {
        libc::open(
            c"/proc/self/stat".as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return None;
    }
    // SAFETY: `buf` is valid for its length.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    // SAFETY: `fd` is ours.
    unsafe { libc::close(fd) };
    let text = buf.get(..usize::try_from(n).ok()?)?;
    // The command name (field 2) may hold spaces; fields 3… follow its last ')'.
    let after = &text[text.iter().rposition(|&b| b == b')')? + 1..];
    let field = after
        .split(|&b| b == b' ')
        .filter(|f| !f.is_empty())
        .nth(17)?;
    // Digits by hand: `str::parse` would bring its general code into every binary.
    let mut n: u32 = 0;
    for &d in field {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u32::from(d - b'0'))?;
    }
    (!field.is_empty()).then_some(n)
}

/// Writes a message to stderr without allocating, then aborts.
pub fn abort_with(args: fmt::Arguments<'_>) -> ! {
    struct Stderr;
    impl Write for Stderr {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let mut bytes = s.as_bytes();
            while !bytes.is_empty() {
                // SAFETY: `bytes` is valid for its length.
                let n = unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
                if n <= 0 {
                    return Err(fmt::Error);
                }
                bytes = &bytes[usize::try_from(n).unwrap_or(bytes.len())..];
            }
            Ok(())
        }
    }
    let _ = Stderr.write_fmt(args);
    // SAFETY: ends the process.
    unsafe { libc::abort() }
}

/// `seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action)`: `Ok(())` when the kernel knows
/// the action, `Err(errno)` (`EOPNOTSUPP` when it does not; `ENOSYS` without
/// `seccomp(2)`).
pub fn action_avail(action: u32) -> Result<(), i32> {
    // SAFETY: the kernel reads one u32 at the pointer.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_GET_ACTION_AVAIL,
            0 as libc::c_ulong,
            &raw const action,
        )
    };
    if r == 0 { Ok(()) } else { Err(errno()) }
}

/// `seccomp(SECCOMP_SET_MODE_STRICT)`, or `prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT)`
/// where `seccomp(2)` is missing.
pub fn set_strict() -> Result<(), i32> {
    // SAFETY: strict mode takes no pointer.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_STRICT,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    if r == 0 {
        return Ok(());
    }
    let e = errno();
    if e != libc::ENOSYS {
        return Err(e);
    }
    // SAFETY: as above.
    let r = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_STRICT as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    if r == 0 { Ok(()) } else { Err(errno()) }
}

/// `ioctl(fd, request, arg)`; `Err(errno)`.
pub fn ioctl<T>(fd: i32, request: libc::Ioctl, arg: *mut T) -> Result<i32, i32> {
    // SAFETY: the callers pass the structure each request is defined with.
    let r = unsafe { libc::ioctl(fd, request, arg) };
    if r >= 0 { Ok(r) } else { Err(errno()) }
}

/// Closes a descriptor this crate owns.
pub fn close(fd: i32) {
    // SAFETY: the caller owns `fd` and never uses it again.
    unsafe { libc::close(fd) };
}

/// A small buffer on the stack, for text written from a signal handler.
pub struct StackBuf {
    bytes: [u8; 320],
    len: usize,
}

impl StackBuf {
    pub const fn new() -> Self {
        StackBuf {
            bytes: [0; 320],
            len: 0,
        }
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl Write for StackBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let n = s.len().min(self.bytes.len() - self.len);
        self.bytes[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// `write(2, bytes)`, once: async-signal-safe.
pub fn write_stderr(bytes: &[u8]) {
    // SAFETY: `bytes` is valid for its length.
    unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
}

/// `exit_group(status)`.
pub fn exit_group(status: i32) -> ! {
    // SAFETY: ends the process.
    unsafe { libc::_exit(status) }
}

/// `si_code` of a `SIGSYS` raised by a filter's `SECCOMP_RET_TRAP`
/// (`include/uapi/asm-generic/siginfo.h`, `SYS_SECCOMP`; `kernel/seccomp.c`,
/// `seccomp_init_siginfo`). `kill(2)` gives `SI_USER` (0), `tgkill(2)` `SI_TKILL`, and
/// `rt_sigqueueinfo(2)` refuses non-negative codes unless a process signals itself.
pub const SYS_SECCOMP: i32 = 1;

/// The `si_code` of a delivered signal.
///
/// # Safety
///
/// `info` points at the siginfo the kernel gave an `SA_SIGINFO` handler.
pub unsafe fn si_code(info: *const libc::siginfo_t) -> i32 {
    // SAFETY: the caller's contract.
    unsafe { (*info).si_code }
}

/// The disposition of `SIGSYS` now (`sigaction(SIGSYS, NULL, &old)`); `Err(errno)`.
pub fn sigsys_disposition() -> Result<libc::sigaction, i32> {
    // SAFETY: all-zero is a valid sigaction, overwritten by the kernel.
    let mut old: libc::sigaction = unsafe { core::mem::zeroed() };
    // SAFETY: a null new action only reads the current one into `old`.
    let r = unsafe { libc::sigaction(libc::SIGSYS, core::ptr::null(), &raw mut old) };
    if r == 0 { Ok(old) } else { Err(errno()) }
}

/// Whether two dispositions are the same: handler, flags and mask.
pub fn same_disposition(a: &libc::sigaction, b: &libc::sigaction) -> bool {
    let bytes = |s: &libc::sigset_t| {
        // SAFETY: a `sigset_t` is plain bytes, valid for its size.
        unsafe {
            core::slice::from_raw_parts(
                core::ptr::from_ref(s).cast::<u8>(),
                size_of::<libc::sigset_t>(),
            )
        }
    };
    a.sa_sigaction == b.sa_sigaction
        && a.sa_flags == b.sa_flags
        && bytes(&a.sa_mask) == bytes(&b.sa_mask)
}

/// Hands a `SIGSYS` that is not the reporter's to the disposition it would have had
/// without the reporter, from inside the reporter's handler (async-signal-safe):
///
/// - `SIG_IGN`: nothing happens;
/// - `SIG_DFL` (terminate with a core dump): the default is restored, `SIGSYS`
///   unblocked and raised again, so the process dies of `SIGSYS` as it would have;
/// - a handler: it is called as the kernel would call it — with `(sig, info,
///   context)` if it asked for `SA_SIGINFO`, `(sig)` otherwise; its `sa_mask` is
///   blocked while it runs, and with `SA_RESETHAND` the default is restored first.
///   Its `SA_ONSTACK` and `SA_NODEFER` do not apply: it runs on the reporter's stack,
///   with `SIGSYS` blocked.
///
/// # Safety
///
/// Called from a `SIGSYS` handler with the arguments it was given; `prev` was the
/// disposition of `SIGSYS` before the reporter.
pub unsafe fn chain_sigsys(
    prev: &libc::sigaction,
    sig: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    if prev.sa_sigaction == libc::SIG_IGN {
        return;
    }
    if prev.sa_sigaction == libc::SIG_DFL || prev.sa_flags & libc::SA_RESETHAND != 0 {
        // SAFETY: all-zero is a valid sigaction; SIG_DFL (0), no flags, empty mask.
        let mut dfl: libc::sigaction = unsafe { core::mem::zeroed() };
        dfl.sa_sigaction = libc::SIG_DFL;
        // SAFETY: valid pointers; sigaction is async-signal-safe.
        unsafe { libc::sigaction(libc::SIGSYS, &raw const dfl, core::ptr::null_mut()) };
    }
    if prev.sa_sigaction == libc::SIG_DFL {
        // SAFETY: all-zero is a valid sigset; sigemptyset, sigaddset, sigprocmask
        // and raise are async-signal-safe.
        unsafe {
            let mut set: libc::sigset_t = core::mem::zeroed();
            libc::sigemptyset(&raw mut set);
            libc::sigaddset(&raw mut set, libc::SIGSYS);
            libc::sigprocmask(libc::SIG_UNBLOCK, &raw const set, core::ptr::null_mut());
            libc::raise(libc::SIGSYS);
        }
        // Only if a filter refused the raise: end as SIGSYS's default would.
        exit_group(128 + libc::SIGSYS);
    }
    // SAFETY: all-zero is a valid sigset, filled by sigprocmask.
    let mut saved: libc::sigset_t = unsafe { core::mem::zeroed() };
    // SAFETY: valid pointers.
    unsafe { libc::sigprocmask(libc::SIG_BLOCK, &raw const prev.sa_mask, &raw mut saved) };
    if prev.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: a handler installed with SA_SIGINFO has this signature.
        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { core::mem::transmute(prev.sa_sigaction) };
        f(sig, info, context);
    } else {
        // SAFETY: a handler installed without SA_SIGINFO has this signature.
        let f: extern "C" fn(libc::c_int) = unsafe { core::mem::transmute(prev.sa_sigaction) };
        f(sig);
    }
    // SAFETY: restores the mask the handler was entered with.
    unsafe { libc::sigprocmask(libc::SIG_SETMASK, &raw const saved, core::ptr::null_mut()) };
}

/// `sigaction(SIGSYS, handler, SA_SIGINFO)`; `Err(errno)`.
pub fn install_sigsys_handler(
    handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void),
) -> Result<(), i32> {
    // SAFETY: all-zero is a valid sigaction; the fields set below are what it needs.
    let mut sa: libc::sigaction = unsafe { core::mem::zeroed() };
    sa.sa_sigaction = handler as usize;
    sa.sa_flags = libc::SA_SIGINFO;
    // SAFETY: `sa` is initialised; an empty mask.
    unsafe { libc::sigemptyset(&raw mut sa.sa_mask) };
    // SAFETY: valid pointers; the old action is not wanted.
    let r = unsafe { libc::sigaction(libc::SIGSYS, &raw const sa, core::ptr::null_mut()) };
    if r == 0 { Ok(()) } else { Err(errno()) }
}

/// The `_sigsys` fields of a `SIGSYS` siginfo: `(call address, syscall, arch)`.
///
/// # Safety
///
/// `info` points at the siginfo of a `SIGSYS` delivered by seccomp.
pub unsafe fn sigsys_fields(info: *const libc::siginfo_t) -> (usize, i32, u32) {
    // The union follows three ints (si_signo, si_errno, si_code), aligned for a
    // pointer: `struct { void *_call_addr; int _syscall; unsigned int _arch; }`.
    let ptr = size_of::<usize>();
    let base = (3 * size_of::<libc::c_int>()).div_ceil(ptr) * ptr;
    let bytes = info.cast::<u8>();
    // SAFETY: the caller's contract; unaligned reads for safety's sake.
    unsafe {
        let call_addr = bytes.add(base).cast::<usize>().read_unaligned();
        let nr = bytes.add(base + ptr).cast::<i32>().read_unaligned();
        let arch = bytes.add(base + ptr + 4).cast::<u32>().read_unaligned();
        (call_addr, nr, arch)
    }
}

/// The six argument registers of the syscall a `SIGSYS` from a filter reports, as
/// the kernel left them (`syscall_rollback` restores them before the signal), on
/// ABIs where the runtime knows the registers (x86_64, aarch64).
///
/// # Safety
///
/// `context` is the ucontext of a signal handler.
#[allow(unused_variables)]
pub unsafe fn syscall_args(context: *const libc::c_void) -> Option<[u64; 6]> {
    #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
    {
        // SAFETY: the caller's contract.
        let g = unsafe { &(*context.cast::<libc::ucontext_t>()).uc_mcontext.gregs };
        let r = |i: libc::c_int| g[i as usize] as u64;
        return Some([
            r(libc::REG_RDI),
            r(libc::REG_RSI),
            r(libc::REG_RDX),
            r(libc::REG_R10),
            r(libc::REG_R8),
            r(libc::REG_R9),
        ]);
    }
    #[cfg(target_arch = "aarch64")]
    {
        // SAFETY: the caller's contract.
        let r = unsafe { &(*context.cast::<libc::ucontext_t>()).uc_mcontext.regs };
        return Some([r[0], r[1], r[2], r[3], r[4], r[5]]);
    }
    #[allow(unreachable_code)]
    None
}

/// Sets the return value the interrupted syscall gives its caller; `false` where
/// this ABI's register is not known here.
///
/// # Safety
///
/// `context` is the ucontext of a signal handler.
#[allow(unused_variables)]
pub unsafe fn set_return_value(context: *mut libc::c_void, value: i64) -> bool {
    #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
    {
        // SAFETY: the caller's contract.
        unsafe {
            (*context.cast::<libc::ucontext_t>()).uc_mcontext.gregs[libc::REG_RAX as usize] = value
        };
        return true;
    }
    #[cfg(target_arch = "aarch64")]
    {
        // SAFETY: the caller's contract.
        unsafe { (*context.cast::<libc::ucontext_t>()).uc_mcontext.regs[0] = value as u64 };
        return true;
    }
    #[allow(unreachable_code)]
    false
}

/// `pidfd_open(pid, 0)` then `pidfd_getfd(pidfd, fd, 0)`: a duplicate of another
/// process's descriptor; `Err((call, errno))` names the call that failed.
pub fn take_fd(pid: i32, fd: i32) -> Result<i32, (&'static str, i32)> {
    // SAFETY: pidfd_open takes integers and returns a new descriptor or -1.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if pidfd < 0 {
        return Err(("pidfd_open", errno()));
    }
    #[allow(clippy::cast_possible_truncation)]
    let pidfd = pidfd as i32;
    // SAFETY: pidfd_getfd takes integers and returns a new descriptor or -1.
    let r = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd, fd, 0) };
    let e = errno();
    close(pidfd);
    if r < 0 {
        Err(("pidfd_getfd", e))
    } else {
        #[allow(clippy::cast_possible_truncation)]
        Ok(r as i32)
    }
}

/// `poll` on one descriptor for reading; `Ok(revents)`, 0 on timeout.
pub fn poll_in(fd: i32, timeout_ms: i32) -> Result<i16, i32> {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let r = unsafe { libc::poll(&raw mut p, 1, timeout_ms) };
    if r < 0 {
        Err(errno())
    } else if r == 0 {
        Ok(0)
    } else {
        Ok(p.revents)
    }
}
