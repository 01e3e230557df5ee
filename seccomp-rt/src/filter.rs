use core::fmt;

use seccomp_bpf::disasm::Disasm;
use seccomp_bpf::ret::Action;
use seccomp_bpf::{CheckError, Endian, SeccompData, SockFilter, check, simulate};

use crate::error::Error;
use crate::install::Installer;

/// A seccomp filter: a program of the kernel's classic BPF in static memory.
///
/// Made by [`seccomp!`](crate::seccomp) (or, from a hand-checked program, by
/// [`Filter::from_static`]), installed by [`Filter::install`], and runnable
/// in-process by [`Filter::evaluate`].
///
/// ```
/// use seccomp_rt::{Action, Filter, seccomp};
/// static F: Filter = seccomp! { getpid => errno(EPERM); default => allow; };
/// assert_eq!(F.evaluate(seccomp_rt::AUDIT_ARCH, libc::SYS_getpid as i32, [0; 6]), Action::Errno(1));
/// ```
#[derive(Clone, Copy)]
pub struct Filter {
    program: &'static [SockFilter],
}

/// The `AUDIT_ARCH_*` value of the target this crate is compiled for: what the
/// kernel puts in `seccomp_data.arch` for this program's own syscalls. It is
/// [`seccomp_bpf::arch::NATIVE`]'s, the ABI whose program `seccomp!` selects.
///
/// ```
/// # #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
/// assert_eq!(seccomp_rt::AUDIT_ARCH, 0xc000_003e);
/// ```
pub const AUDIT_ARCH: u32 = crate::sys::AUDIT_ARCH;

impl Filter {
    /// A filter over a program, checked against the kernel's rules
    /// ([`seccomp_bpf::check()`]): in a `static` or `const`, while compiling.
    ///
    /// ```
    /// use seccomp_rt::{Filter, SockFilter};
    /// static ALLOW_ALL: [SockFilter; 1] = [SockFilter::stmt(0x06, 0x7fff_0000)];
    /// static F: Filter = Filter::from_static(&ALLOW_ALL);
    /// assert_eq!(F.len(), 1);
    /// ```
    ///
    /// A program the kernel would refuse does not compile:
    ///
    /// ```compile_fail
    /// use seccomp_rt::{Filter, SockFilter};
    /// static NO_RET: [SockFilter; 1] = [SockFilter::stmt(0x20, 0)]; // ld [0], then nothing
    /// static F: Filter = Filter::from_static(&NO_RET);
    /// ```
    ///
    /// # Panics
    ///
    /// If the kernel would refuse the program (at compile time in a `static`); use
    /// [`Filter::try_from_static`] for a program made at run time.
    #[must_use]
    pub const fn from_static(program: &'static [SockFilter]) -> Filter {
        match Filter::try_from_static(program) {
            Ok(f) => f,
            Err(e) => refused(e),
        }
    }

    /// A filter over a program, or the first of the kernel's rules it breaks.
    ///
    /// ```
    /// use seccomp_rt::{CheckError, Filter, SockFilter};
    /// static NO_RET: [SockFilter; 1] = [SockFilter::stmt(0x20, 0)]; // ld [0], then nothing
    /// assert_eq!(Filter::try_from_static(&NO_RET).err(), Some(CheckError::NoFinalReturn));
    /// ```
    ///
    /// # Errors
    ///
    /// The first rule the program breaks.
    pub const fn try_from_static(program: &'static [SockFilter]) -> Result<Filter, CheckError> {
        match check(program) {
            Ok(()) => Ok(Filter { program }),
            Err(e) => Err(e),
        }
    }

    /// The instructions.
    ///
    /// ```
    /// use seccomp_rt::{Filter, seccomp};
    /// static F: Filter = seccomp! { default => allow; };
    /// assert_eq!(F.program().last().unwrap().code, 0x06); // ret
    /// ```
    #[must_use]
    pub const fn program(&self) -> &'static [SockFilter] {
        self.program
    }

    /// The number of instructions.
    ///
    /// ```
    /// use seccomp_rt::{Filter, seccomp};
    /// static F: Filter = seccomp! { default => allow; };
    /// assert!(F.len() >= 3);
    /// ```
    #[must_use]
    pub const fn len(&self) -> usize {
        self.program.len()
    }

    /// Whether the program is empty (the kernel refuses an empty program).
    ///
    /// ```
    /// use seccomp_rt::{Filter, seccomp};
    /// static F: Filter = seccomp! { default => allow; };
    /// assert!(!F.is_empty());
    /// ```
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.program.is_empty()
    }

    /// Installs the filter on the calling thread and, with TSYNC, every other
    /// thread of the process; sets `PR_SET_NO_NEW_PRIVS` first.
    ///
    /// The same as `self.installer().install()`; see [`Installer`] for the options.
    ///
    /// ```no_run
    /// use seccomp_rt::{Filter, seccomp};
    /// static F: Filter = seccomp! { @rust_runtime; write: fd == 1; default => kill; };
    /// F.install()?;
    /// # Ok::<(), seccomp_rt::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// What the kernel refused, and why; nothing is installed then.
    pub fn install(&self) -> Result<(), Error> {
        self.installer().install()
    }

    /// An installer with the default options: TSYNC on, `NO_NEW_PRIVS` set.
    ///
    /// ```no_run
    /// use seccomp_rt::{Filter, seccomp};
    /// static F: Filter = seccomp! { @rust_runtime; write: fd == 1; default => kill; };
    /// F.installer().log(true).install()?;
    /// # Ok::<(), seccomp_rt::Error>(())
    /// ```
    pub const fn installer(&self) -> Installer<'static> {
        Installer::new(self.program)
    }

    /// What the kernel would do with this syscall: the program run on a
    /// `seccomp_data` of `arch`, `nr` and `args`, in this target's byte order.
    ///
    /// A program the kernel would refuse evaluates to [`Action::KillProcess`].
    ///
    /// ```
    /// use seccomp_rt::{Action, Filter, seccomp, AUDIT_ARCH};
    /// static F: Filter = seccomp! { write: fd == 1; exit_group; default => kill; };
    /// let write = libc::SYS_write as i32;
    /// assert_eq!(F.evaluate(AUDIT_ARCH, write, [1, 0, 0, 0, 0, 0]), Action::Allow);
    /// assert_eq!(F.evaluate(AUDIT_ARCH, write, [2, 0, 0, 0, 0, 0]), Action::KillProcess);
    /// // Garbage above a 32-bit `fd` is ignored, as the kernel ignores it.
    /// assert_eq!(F.evaluate(AUDIT_ARCH, write, [0xdead_0000_0001, 0, 0, 0, 0, 0]), Action::Allow);
    /// ```
    #[must_use]
    pub fn evaluate(&self, arch: u32, nr: i32, args: [u64; 6]) -> Action {
        let data = SeccompData {
            nr,
            arch,
            instruction_pointer: 0,
            args,
        };
        Action::from_ret(self.evaluate_data(&data))
    }

    /// The program's raw return value for a whole `seccomp_data` (the kernel's
    /// `SECCOMP_RET_*` encoding).
    ///
    /// ```
    /// use seccomp_rt::{Filter, SeccompData, seccomp, AUDIT_ARCH};
    /// static F: Filter = seccomp! { exit_group; @memory; default => errno(EPERM); };
    /// let d = SeccompData { nr: 0, arch: AUDIT_ARCH, ..SeccompData::default() };
    /// assert_eq!(F.evaluate_data(&d), 0x0005_0001);
    /// ```
    #[must_use]
    pub fn evaluate_data(&self, data: &SeccompData) -> u32 {
        simulate(self.program, data, Endian::NATIVE).unwrap_or(seccomp_bpf::ret::KILL_PROCESS)
    }
}

impl fmt::Display for Filter {
    /// The program as assembly, one instruction a line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&Disasm::new(self.program, Endian::NATIVE), f)
    }
}

impl fmt::Debug for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Filter")
            .field("len", &self.program.len())
            .field("program", &self.program)
            .finish()
    }
}

/// The panic of [`Filter::from_static`], one literal message per rule, as a
/// panic in a `const` context can only print a literal.
pub(crate) const fn refused(e: CheckError) -> ! {
    match e {
        CheckError::Length(_) => panic!(
            "the kernel would refuse this seccomp program: it must have 1 to 4096 instructions"
        ),
        CheckError::Opcode { .. } => panic!(
            "the kernel would refuse this seccomp program: an opcode seccomp does not accept"
        ),
        CheckError::Load { .. } => panic!(
            "the kernel would refuse this seccomp program: a load outside seccomp_data or not 4-byte aligned"
        ),
        CheckError::Operand { .. } => panic!(
            "the kernel would refuse this seccomp program: a division by 0, a shift by 32 or more, or a scratch cell past 15"
        ),
        CheckError::JumpOutOfRange { .. } => {
            panic!("the kernel would refuse this seccomp program: a jump past its end")
        }
        CheckError::NoFinalReturn => panic!(
            "the kernel would refuse this seccomp program: its last instruction is not a return"
        ),
        CheckError::UninitializedScratch { .. } => panic!(
            "the kernel would refuse this seccomp program: a scratch cell read before it is written"
        ),
    }
}
