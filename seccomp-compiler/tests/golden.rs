//! Golden disassembly: each `golden/NAME.policy` is compiled for a few ABIs and its
//! assembly compared with `golden/NAME.<abi>.bpf`, so that every change to the code
//! generator shows up as a reviewable diff.
//!
//! Bless: `SECCOMP_BLESS=1 cargo test -p seccomp-compiler --test golden`, then read
//! `git diff seccomp-compiler/tests/golden/`.

use std::fmt::Write;
use std::path::Path;

use seccomp_bpf::disasm::Disasm;
use seccomp_compiler::{Arch, compile_str};

const ABIS: &[Arch] = &[Arch::X86_64, Arch::Aarch64, Arch::S390x, Arch::X86];

#[test]
fn golden_disassembly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let bless = std::env::var_os("SECCOMP_BLESS").is_some();
    let mut policies: Vec<_> = std::fs::read_dir(&dir)
        .expect("golden dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "policy"))
        .collect();
    policies.sort();
    assert!(!policies.is_empty());
    let mut stale = Vec::new();
    for policy in policies {
        let src = std::fs::read_to_string(&policy).expect("policy");
        for &arch in ABIS {
            let mut text = String::new();
            match compile_str(&src, arch) {
                Ok(p) => {
                    let bpf = p.to_sock_filters().expect("no symbols");
                    writeln!(text, "; {} instructions", bpf.len()).unwrap();
                    write!(text, "{}", Disasm::new(&bpf, p.endian())).unwrap();
                }
                Err(e) => {
                    for d in e {
                        writeln!(text, "error: {}", d.full_message()).unwrap();
                    }
                }
            }
            let golden = policy.with_extension(format!("{arch}.bpf"));
            if bless {
                std::fs::write(&golden, &text).expect("write golden");
            } else if std::fs::read_to_string(&golden).ok().as_deref() != Some(&text) {
                stale.push(golden.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "golden files differ (bless with SECCOMP_BLESS=1 and review the diff):\n{}",
        stale.join("\n")
    );
}
