//! The words of the language, written once.

/// `default => action`
pub const DEFAULT: &str = "default";
/// `bad_arch => action`
pub const BAD_ARCH: &str = "bad_arch";
/// `unknown => action`
pub const UNKNOWN: &str = "unknown";
/// `arch: x86_64, x86`
pub const ARCH: &str = "arch";
/// `allow: no_exit`: lints the policy accepts
pub const ALLOW_LINTS: &str = "allow";
/// `fd in [0, 1]`
pub const IN: &str = "in";

/// Every action keyword, for suggestions.
pub const ACTIONS: &[&str] = &[
    "allow",
    "kill",
    "kill_process",
    "kill_thread",
    "log",
    "notify",
    "errno",
    "trap",
    "trace",
];
