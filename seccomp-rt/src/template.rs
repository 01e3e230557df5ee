//! Filters with runtime parameters (`$name`): the program is a constant with a slot
//! for each use of a parameter; binding fills a copy on the stack, and installs it.

use seccomp_bpf::ret::Action;
use seccomp_bpf::{Endian, MAX_INSNS, SeccompData, SockFilter, check, simulate};

use crate::error::Error;
use crate::install::Installer;

/// Where a runtime parameter goes in the program: the `k` of instruction `index`
/// becomes `((value as u64 >> (hi ? 32 : 0)) as u32 & and) ^ xor`.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    pub index: u16,
    pub param: u8,
    pub hi: bool,
    pub and: u32,
    pub xor: u32,
}

/// A runtime parameter's name and the values every use of it admits.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    pub name: &'static str,
    pub min: i128,
    pub max: i128,
}

/// A filter with `P` runtime parameters: it installs only with a value for each.
///
/// A daemon that opens its log file, then allows `write` to that descriptor only:
///
/// ```no_run
/// use seccomp_rt::{Template, seccomp};
///
/// static POLICY: Template<1> = seccomp! {
///     @rust_runtime;
///     write: fd == $log_fd;
///     default => kill;
/// };
///
/// # fn open_log() -> i32 { 3 }
/// let log_fd = open_log();
/// POLICY.install([("log_fd", log_fd.into())])?;
/// # Ok::<(), seccomp_rt::Error>(())
/// ```
///
/// The number of values is checked by the compiler (the array must have `P`
/// elements); their names and ranges when binding, before anything is installed.
#[derive(Clone, Copy, Debug)]
pub struct Template<const P: usize> {
    program: &'static [SockFilter],
    slots: &'static [Slot],
    params: &'static [ParamSpec; P],
}

impl<const P: usize> Template<P> {
    #[doc(hidden)]
    #[must_use]
    pub const fn from_parts(
        program: &'static [SockFilter],
        slots: &'static [Slot],
        params: &'static [ParamSpec; P],
    ) -> Self {
        // Binding changes only the constants of comparisons, never what the kernel's
        // rules look at: a program that passes now passes bound.
        if let Err(e) = check(program) {
            crate::filter::refused(e);
        }
        Template {
            program,
            slots,
            params,
        }
    }

    /// The parameters' names, in the order of their first use in the policy.
    ///
    /// ```
    /// use seccomp_rt::{Template, seccomp};
    /// static T: Template<2> = seccomp! { write: fd == $out || fd == $err; exit_group; default => kill; };
    /// assert_eq!(T.names(), ["out", "err"]);
    /// ```
    #[must_use]
    pub fn names(&self) -> [&'static str; P] {
        core::array::from_fn(|i| self.params[i].name)
    }

    /// Fills the slots into `buf`; returns the bound program.
    fn bind<'b>(
        &self,
        values: [(&str, i128); P],
        buf: &'b mut [SockFilter; MAX_INSNS],
    ) -> Result<&'b [SockFilter], Error> {
        let mut bound: [Option<i128>; P] = [None; P];
        for (position, (name, value)) in values.into_iter().enumerate() {
            let Some(i) = self.params.iter().position(|p| p.name == name) else {
                return Err(Error::UnknownParameter { position });
            };
            if bound[i].replace(value).is_some() {
                return Err(Error::UnknownParameter { position });
            }
            let spec = self.params[i];
            if value < spec.min || value > spec.max {
                return Err(Error::ParameterOutOfRange {
                    name: spec.name,
                    min: spec.min,
                    max: spec.max,
                });
            }
        }
        // At most `MAX_INSNS` long: it passed `check`.
        let program = &mut buf[..self.program.len()];
        program.copy_from_slice(self.program);
        for s in self.slots {
            // Every parameter is bound: P distinct names were matched above.
            let v = bound[usize::from(s.param)].unwrap_or(0);
            #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)]
            let word = ((v as u64) >> if s.hi { 32 } else { 0 }) as u32;
            program[usize::from(s.index)].k = (word & s.and) ^ s.xor;
        }
        Ok(program)
    }

    /// Binds every parameter and installs the filter, as [`Filter::install`](crate::Filter::install).
    /// The bound program is a copy on the stack (at most 32 KiB); nothing is allocated.
    ///
    /// ```no_run
    /// # use seccomp_rt::{Template, seccomp};
    /// static T: Template<1> = seccomp! { write: fd == $log_fd; default => allow; };
    /// T.install([("log_fd", 3)])?;
    /// # Ok::<(), seccomp_rt::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// `UnknownParameter` (a name that is not a parameter, or given twice),
    /// `ParameterOutOfRange`, or what the kernel refused.
    pub fn install(&self, values: [(&str, i128); P]) -> Result<(), Error> {
        let mut buf = [SockFilter::default(); MAX_INSNS];
        let program = self.bind(values, &mut buf)?;
        Installer::new(program).install()
    }

    /// What the kernel would do, with the parameters bound to `values`.
    ///
    /// ```
    /// use seccomp_rt::{Action, Template, seccomp, AUDIT_ARCH};
    /// static T: Template<1> = seccomp! { write: fd == $log_fd; exit_group; @memory; default => errno(EPERM); };
    /// let write = libc::SYS_write as i32;
    /// assert_eq!(T.evaluate([("log_fd", 7)], AUDIT_ARCH, write, [7, 0, 0, 0, 0, 0]), Ok(Action::Allow));
    /// assert_eq!(T.evaluate([("log_fd", 7)], AUDIT_ARCH, write, [1, 0, 0, 0, 0, 0]), Ok(Action::Errno(1)));
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Template::install`], for the binding.
    pub fn evaluate(
        &self,
        values: [(&str, i128); P],
        arch: u32,
        nr: i32,
        args: [u64; 6],
    ) -> Result<Action, Error> {
        let mut buf = [SockFilter::default(); MAX_INSNS];
        let program = self.bind(values, &mut buf)?;
        let data = SeccompData {
            nr,
            arch,
            instruction_pointer: 0,
            args,
        };
        Ok(Action::from_ret(
            simulate(program, &data, Endian::NATIVE).unwrap_or(seccomp_bpf::ret::KILL_PROCESS),
        ))
    }
}
