//! libseccomp, loaded at run time (`dlopen("libseccomp.so.2")`), for the suites and
//! the benchmark that compare our programs with its: nothing links against it, so
//! the workspace builds and tests without it (and says what it could not compare).

use std::ffi::{CStr, CString, c_char, c_int, c_uint, c_void};

use seccomp_bpf::ret::Action;
use seccomp_bpf::{Endian, SockFilter};
use seccomp_compiler::Arch;

/// `struct scmp_arg_cmp`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ArgCmp {
    /// The argument index.
    pub arg: c_uint,
    /// `enum scmp_compare`: one of the `SCMP_CMP_*` constants.
    pub op: c_int,
    /// The datum (the mask, for MASKED_EQ).
    pub datum_a: u64,
    /// The value, for MASKED_EQ.
    pub datum_b: u64,
}

/// `!=` (`enum scmp_compare` of `seccomp.h`, as the ones below).
pub const SCMP_CMP_NE: c_int = 1;
/// `<`
pub const SCMP_CMP_LT: c_int = 2;
/// `<=`
pub const SCMP_CMP_LE: c_int = 3;
/// `==`
pub const SCMP_CMP_EQ: c_int = 4;
/// `>=`
pub const SCMP_CMP_GE: c_int = 5;
/// `>`
pub const SCMP_CMP_GT: c_int = 6;
/// `(arg & datum_a) == datum_b`
pub const SCMP_CMP_MASKED_EQ: c_int = 7;

/// One rule: an action for a syscall (by name) when every comparison holds.
#[derive(Clone, Debug)]
pub struct LibRule {
    /// What a match does.
    pub action: Action,
    /// The syscall's name.
    pub name: String,
    /// Its number, for one libseccomp's tables may not have yet (newer syscalls);
    /// `None`: libseccomp resolves `name`.
    pub nr: Option<i32>,
    /// ANDed comparisons; empty: always.
    pub cmps: Vec<ArgCmp>,
}

/// The libseccomp functions used, found with `dlsym`.
pub struct Lib {
    init: unsafe extern "C" fn(u32) -> *mut c_void,
    release: unsafe extern "C" fn(*mut c_void),
    arch_add: unsafe extern "C" fn(*mut c_void, u32) -> c_int,
    arch_remove: unsafe extern "C" fn(*mut c_void, u32) -> c_int,
    arch_resolve_name: unsafe extern "C" fn(*const c_char) -> u32,
    attr_set: unsafe extern "C" fn(*mut c_void, c_int, u32) -> c_int,
    resolve_name: unsafe extern "C" fn(*const c_char) -> c_int,
    rule_add_array: unsafe extern "C" fn(*mut c_void, u32, c_int, c_uint, *const ArgCmp) -> c_int,
    export_bpf: unsafe extern "C" fn(*mut c_void, c_int) -> c_int,
}

const SCMP_FLTATR_ACT_BADARCH: c_int = 2;
const SCMP_FLTATR_CTL_OPTIMIZE: c_int = 8;
const SCMP_ARCH_NATIVE: u32 = 0;

impl Lib {
    /// Loads libseccomp, if it is installed.
    // Each field's type, in `Lib`, states the signature the transmute gives it.
    #[allow(clippy::missing_transmute_annotations)]
    #[must_use]
    pub fn load() -> Option<Lib> {
        // SAFETY: dlopen/dlsym with NUL-terminated names; the symbols have the C
        // signatures of libseccomp 2.5's seccomp.h.
        unsafe {
            let h = libc::dlopen(c"libseccomp.so.2".as_ptr(), libc::RTLD_NOW);
            if h.is_null() {
                return None;
            }
            let sym = |name: &CStr| {
                let p = libc::dlsym(h, name.as_ptr());
                assert!(!p.is_null(), "libseccomp has no {name:?}");
                p
            };
            Some(Lib {
                init: std::mem::transmute(sym(c"seccomp_init")),
                release: std::mem::transmute(sym(c"seccomp_release")),
                arch_add: std::mem::transmute(sym(c"seccomp_arch_add")),
                arch_remove: std::mem::transmute(sym(c"seccomp_arch_remove")),
                arch_resolve_name: std::mem::transmute(sym(c"seccomp_arch_resolve_name")),
                attr_set: std::mem::transmute(sym(c"seccomp_attr_set")),
                resolve_name: std::mem::transmute(sym(c"seccomp_syscall_resolve_name")),
                rule_add_array: std::mem::transmute(sym(c"seccomp_rule_add_array")),
                export_bpf: std::mem::transmute(sym(c"seccomp_export_bpf")),
            })
        }
    }

    /// Whether this libseccomp knows the syscall's name (2.5.4 predates the newest).
    #[must_use]
    pub fn knows(&self, name: &str) -> bool {
        let c = CString::new(name).expect("a name");
        // SAFETY: a NUL-terminated name.
        unsafe { (self.resolve_name)(c.as_ptr()) != -1 }
    }

    /// Whether this libseccomp knows the ABI.
    #[must_use]
    pub fn knows_arch(&self, arch: Arch) -> bool {
        let name = CString::new(arch.as_str()).expect("a name");
        // SAFETY: a NUL-terminated name.
        unsafe { (self.arch_resolve_name)(name.as_ptr()) != 0 }
    }

    /// libseccomp's program for `arch` only, other ABIs killed; `optimize` 2 is its
    /// binary tree (`SCMP_FLTATR_CTL_OPTIMIZE`), 1 its default. `None` for an ABI it
    /// does not know.
    ///
    /// # Panics
    ///
    /// If libseccomp refuses a rule.
    #[must_use]
    pub fn build(
        &self,
        arch: Arch,
        default: Action,
        rules: &[LibRule],
        optimize: u32,
    ) -> Option<Vec<SockFilter>> {
        let name = CString::new(arch.as_str()).expect("a name");
        // SAFETY: the libseccomp API as documented; the context is released below.
        unsafe {
            let token = (self.arch_resolve_name)(name.as_ptr());
            if token == 0 {
                return None;
            }
            let ctx = (self.init)(default.to_ret());
            assert!(
                !ctx.is_null(),
                "libseccomp refused the default action {default}"
            );
            assert_eq!(
                (self.attr_set)(ctx, SCMP_FLTATR_ACT_BADARCH, Action::KillProcess.to_ret()),
                0
            );
            assert_eq!((self.attr_set)(ctx, SCMP_FLTATR_CTL_OPTIMIZE, optimize), 0);
            assert_eq!((self.arch_remove)(ctx, SCMP_ARCH_NATIVE), 0);
            assert_eq!((self.arch_add)(ctx, token), 0);
            for r in rules {
                let cname = CString::new(r.name.as_str()).expect("a name");
                let nr = r.nr.unwrap_or_else(|| (self.resolve_name)(cname.as_ptr()));
                let len = c_uint::try_from(r.cmps.len()).expect("few comparisons");
                let rc = (self.rule_add_array)(ctx, r.action.to_ret(), nr, len, r.cmps.as_ptr());
                assert_eq!(
                    rc, 0,
                    "libseccomp refused a rule for {} on {arch}: {rc}",
                    r.name
                );
            }
            let mut fds = [0; 2];
            assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
            assert_eq!((self.export_bpf)(ctx, fds[1]), 0);
            libc::close(fds[1]);
            let raw = read_to_end(fds[0], None).expect("no deadline");
            libc::close(fds[0]);
            (self.release)(ctx);
            let endian = if arch.is_big_endian() {
                Endian::Big
            } else {
                Endian::Little
            };
            Some(filters(&raw, endian))
        }
    }

    /// [`Lib::build`] in a child process given `limit` to finish: libseccomp 2.5.4's
    /// rule merging is exponential on some rule sets, and a call into it cannot be
    /// interrupted otherwise.
    ///
    /// # Errors
    ///
    /// `TimedOut` when libseccomp did not finish in time (the child is killed).
    ///
    /// # Panics
    ///
    /// If libseccomp refuses a rule (the child's panic, reported here).
    pub fn build_within(
        &self,
        arch: Arch,
        default: Action,
        rules: &[LibRule],
        optimize: u32,
        limit: std::time::Duration,
    ) -> Result<Option<Vec<SockFilter>>, TimedOut> {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for two descriptors.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: the child builds, writes to the pipe and `_exit`s; glibc's fork
        // leaves malloc usable in the child.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.build(arch, default, rules, optimize)
            }));
            let code = match built {
                Ok(Some(program)) => {
                    let bytes: Vec<u8> = program
                        .iter()
                        .flat_map(|i| i.to_bytes(Endian::NATIVE))
                        .collect();
                    let mut rest = &bytes[..];
                    while !rest.is_empty() {
                        // SAFETY: `rest` is valid for its length.
                        let n = unsafe { libc::write(fds[1], rest.as_ptr().cast(), rest.len()) };
                        let Ok(n) = usize::try_from(n) else { break };
                        rest = &rest[n..];
                    }
                    0
                }
                Ok(None) => 3,
                Err(_) => 101,
            };
            // SAFETY: ends the child without running the parent's destructors.
            unsafe { libc::_exit(code) };
        }
        // SAFETY: our descriptors and child.
        unsafe {
            libc::close(fds[1]);
            let Some(raw) = read_to_end(fds[0], Some(std::time::Instant::now() + limit)) else {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
                libc::close(fds[0]);
                return Err(TimedOut);
            };
            libc::close(fds[0]);
            let mut status = 0;
            libc::waitpid(pid, &raw mut status, 0);
            match libc::WEXITSTATUS(status) {
                0 => Ok(Some(filters(&raw, Endian::NATIVE))),
                3 => Ok(None),
                code => {
                    panic!("building libseccomp's program for {arch} failed in the child ({code})")
                }
            }
        }
    }
}

/// Everything `fd` gives until its end, or `None` if `deadline` passes first.
fn read_to_end(fd: c_int, deadline: Option<std::time::Instant>) -> Option<Vec<u8>> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let mut pfd = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            let ms = c_int::try_from(left.as_millis()).unwrap_or(c_int::MAX);
            // SAFETY: one valid pollfd.
            match unsafe { libc::poll(&raw mut pfd, 1, ms) } {
                0 => return None,
                r if r < 0 => continue,
                _ => {}
            }
        }
        // SAFETY: `buf` is valid for its length.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        match usize::try_from(n) {
            Ok(0) => return Some(raw),
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            // EINTR and the like: poll again (or read again).
            Err(_) if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {
            }
            Err(_) => return Some(raw),
        }
    }
}

/// A program from its bytes.
fn filters(raw: &[u8], endian: Endian) -> Vec<SockFilter> {
    raw.chunks_exact(8)
        .map(|c| SockFilter::from_bytes(c.try_into().expect("8 bytes"), endian))
        .collect()
}

/// libseccomp did not finish building a program in the time given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimedOut;
