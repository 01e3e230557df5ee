//! Deep and long conditions — parentheses, `!`, `||` and `&&` chains of any depth
//! and length, drawn from the input — parse or are refused with an error, and what
//! parses compiles or reports errors, on a thread with a 1 MiB stack (less than
//! rustc gives a proc macro): never a stack overflow, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seccomp_compiler::{Arch, compile_linted, syntax};

/// A condition from the input: each byte opens a parenthesis, negates, or adds a
/// term joined by `||` or `&&`; the input's length sets the depth and the length.
fn condition(data: &[u8]) -> String {
    let mut text = String::new();
    let mut open = 0usize;
    let mut need_term = true;
    for &b in data.iter().cycle().take(data.len().saturating_mul(64).min(1 << 16)) {
        match b % 5 {
            0 if need_term => {
                text.push('(');
                open += 1;
            }
            1 if need_term => text.push('!'),
            2 | 3 if !need_term => {
                text.push_str(if b % 5 == 2 { " || " } else { " && " });
                need_term = true;
            }
            4 if !need_term && open > 0 => {
                text.push(')');
                open -= 1;
            }
            _ if need_term => {
                text.push_str(&format!("fd == {}", b));
                need_term = false;
            }
            _ => {}
        }
    }
    if need_term {
        text.push_str("fd == 1");
    }
    text.extend(std::iter::repeat_n(')', open));
    text
}

fuzz_target!(|data: &[u8]| {
    let policy = format!("write: {}; exit_group; default => kill;", condition(data));
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            if let Ok(ast) = syntax::parse_str(&policy) {
                for arch in [Arch::X86_64, Arch::X86] {
                    let _ = compile_linted(&ast, arch);
                }
            }
        })
        .expect("spawn")
        .join()
        .expect("no panic");
});
