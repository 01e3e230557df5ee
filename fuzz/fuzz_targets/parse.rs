//! Any text → a policy or errors, never a panic; and a parsed policy compiles or
//! reports errors for every ABI, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seccomp_compiler::{Arch, compile, syntax};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(ast) = syntax::parse_str(text) else {
        return;
    };
    for &arch in [
        Arch::X86_64,
        Arch::X86,
        Arch::X32,
        Arch::Aarch64,
        Arch::S390x,
        Arch::Mips,
    ]
    .iter()
    {
        if let Ok(p) = compile(&ast, arch) {
            if let Some(bpf) = p.to_sock_filters() {
                seccomp_bpf::check(&bpf).expect("every compiled program passes the kernel's rules");
            }
        }
    }
});
