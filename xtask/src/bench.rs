//! `cargo xtask bench`: the benchmark, in one run, as one report.
//!
//! 1. the table of `examples/bench.rs` (built in release): per policy of `benches/`
//!    and per compiler (this project, libseccomp, libseccomp's binary tree), the
//!    program's length, instructions executed, action-cache coverage and ns per call;
//! 2. the macro's expansion time for the largest policy, measured by the test
//!    `largest_benchmark_policy_expands_for_every_target` of `seccomp-macros`, in the
//!    profile cargo builds proc macros with (unoptimized);
//! 3. the bytes the runtime adds to a release binary: `benches/size/runtime.rs`
//!    (the seed policy installed by `#[seccomp_rt::main]`) against
//!    `benches/size/base.rs` (the same program without it), as loaded bytes
//!    (the allocated sections, what `size(1)` sums) and as stripped file size;
//! 4. the overhead of `seccompc learn` against `strace -f -c` on the same
//!    workloads, and the workloads alone.
//!
//! Nothing is installed: what is missing (libseccomp, `strip`) is said and left out.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

fn cargo(root: &Path) -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(root);
    c
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

pub fn run(root: &Path) -> ExitCode {
    let built = cargo(root)
        .args(["build", "--quiet", "--release", "-p", "seccomp-tests"])
        .args([
            "--example",
            "bench",
            "--example",
            "size_base",
            "--example",
            "size_runtime",
            "--example",
            "size_install",
        ])
        .status();
    if !built.is_ok_and(|s| s.success()) {
        eprintln!("bench: the release build failed");
        return ExitCode::FAILURE;
    }
    let examples = target_dir(root).join("release/examples");
    if !Command::new(examples.join("bench"))
        .status()
        .is_ok_and(|s| s.success())
    {
        eprintln!("bench: the benchmark failed");
        return ExitCode::FAILURE;
    }

    let expansion = cargo(root)
        .args(["test", "--quiet", "-p", "seccomp-macros", "--lib"])
        .args([
            "largest_benchmark_policy_expands_for_every_target",
            "--",
            "--nocapture",
        ])
        .stderr(Stdio::inherit())
        .output();
    let line = expansion.ok().and_then(|o| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .find(|l| l.starts_with("macro expansion"))
            .map(str::to_owned)
    });
    match line {
        Some(l) => println!("{l}, unoptimized as cargo builds proc macros"),
        None => {
            eprintln!("bench: the expansion measurement failed");
            return ExitCode::FAILURE;
        }
    }

    let (base, rt) = (examples.join("size_base"), examples.join("size_runtime"));
    let install = examples.join("size_install");
    let loaded = |p: &Path| loaded_bytes(&std::fs::read(p).ok()?);
    match (loaded(&base), loaded(&rt), loaded(&install)) {
        (Some(b), Some(r), Some(i)) => {
            println!(
                "the runtime adds {} bytes to a release binary: the seed policy installed by #[seccomp_rt::main], \
                 its error messages and 13-instruction program included (the file's loaded bytes: {b} → {r})",
                r.cast_signed() - b.cast_signed()
            );
            println!(
                "  {} bytes with Filter::install and the error not printed ({b} → {i})",
                i.cast_signed() - b.cast_signed()
            );
        }
        _ => {
            eprintln!("bench: cannot read the size examples");
            return ExitCode::FAILURE;
        }
    }
    let scratch = target_dir(root).join("xtask-bench");
    let _ = std::fs::create_dir_all(&scratch);
    let stripped = |p: &Path, name: &str| {
        let out = scratch.join(name);
        let ok = Command::new("strip")
            .arg("-o")
            .arg(&out)
            .arg(p)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| std::fs::metadata(&out).ok().map(|m| m.len()))
            .flatten()
    };
    match (stripped(&base, "base"), stripped(&rt, "runtime")) {
        (Some(b), Some(r)) => println!(
            "stripped file sizes: {b} → {r} bytes (+{}; files grow by whole pages of alignment)",
            r.cast_signed() - b.cast_signed()
        ),
        _ => println!("strip(1) is missing (apt-get install binutils): no stripped sizes"),
    }
    learn_overhead(root, &scratch)
}

/// The fastest of `runs` runs of `cmd` in `dir`, in seconds; `None` if one fails.
fn fastest(dir: &Path, runs: usize, cmd: &[&str]) -> Option<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..runs {
        let start = std::time::Instant::now();
        let ok = Command::new(cmd[0])
            .args(&cmd[1..])
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return None;
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    Some(best)
}

/// `seccompc learn` against `strace -f -c` on the same workloads, in one run.
fn learn_overhead(root: &Path, scratch: &Path) -> ExitCode {
    let built = cargo(root)
        .args(["build", "--quiet", "--release", "-p", "seccomp-cli"])
        .status();
    if !built.is_ok_and(|s| s.success()) {
        eprintln!("bench: the release build of seccompc failed");
        return ExitCode::FAILURE;
    }
    let seccompc = target_dir(root).join("release/seccompc");
    let seccompc = seccompc.to_str().expect("a UTF-8 target directory");
    let strace = Command::new("strace")
        .arg("-V")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let workloads: [(&str, &[&str]); 2] = [
        (
            "dd, 1-byte blocks (40,000 read/write)",
            &["dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=20000"],
        ),
        (
            "sh, 100 processes (fork, exec, pipes)",
            &[
                "sh",
                "-c",
                "for i in $(seq 100); do echo $i | cat > /dev/null; done",
            ],
        ),
    ];
    println!(
        "\nlearn overhead: wall time, fastest of 5 runs; seccompc learn answers every syscall \
         (SECCOMP_USER_NOTIF_FLAG_CONTINUE), strace -f -c traces every one (ptrace)"
    );
    if !strace {
        println!(
            "  strace is missing (apt-get install strace): only learn is measured, no comparison"
        );
    }
    println!(
        "  {:40} {:>10} {:>18} {:>18}",
        "workload", "alone", "seccompc learn", "strace -f -c"
    );
    let policy = scratch.join("learn-bench.seccomp");
    let policy = policy.to_str().expect("a UTF-8 target directory");
    for (name, cmd) in workloads {
        let alone = fastest(scratch, 5, cmd);
        let mut learn = vec![seccompc, "learn", "-o", policy, "--"];
        learn.extend_from_slice(cmd);
        let learned = fastest(scratch, 5, &learn);
        let mut traced = vec!["strace", "-f", "-c", "-o", "/dev/null", "--"];
        traced.extend_from_slice(cmd);
        let traced = if strace {
            fastest(scratch, 5, &traced)
        } else {
            None
        };
        let cell = |t: Option<f64>, missing: &str| match (t, alone) {
            (Some(t), Some(a)) => format!("{:.3} s ({:.1}x)", t, t / a),
            (Some(t), None) => format!("{t:.3} s"),
            (None, _) => missing.to_owned(),
        };
        println!(
            "  {:40} {:>10} {:>18} {:>18}",
            name,
            alone.map_or_else(|| "failed".to_owned(), |a| format!("{a:.3} s")),
            cell(learned, "failed"),
            cell(traced, if strace { "failed" } else { "no strace" }),
        );
    }
    ExitCode::SUCCESS
}

/// The sum of the sizes of an ELF64 file's allocated sections that the file holds
/// (`SHF_ALLOC`, not `SHT_NOBITS`: `.bss` and `.relro_padding` move with alignment).
fn loaded_bytes(elf: &[u8]) -> Option<u64> {
    let u16_at = |o: usize| Some(u16::from_le_bytes(elf.get(o..o + 2)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(elf.get(o..o + 8)?.try_into().ok()?));
    // ELF64, little-endian.
    if elf.get(..6)? != b"\x7fELF\x02\x01" {
        return None;
    }
    let shoff = usize::try_from(u64_at(0x28)?).ok()?;
    let (shentsize, shnum) = (usize::from(u16_at(0x3a)?), usize::from(u16_at(0x3c)?));
    let mut total = 0;
    for i in 0..shnum {
        let sh = shoff + i * shentsize;
        const SHF_ALLOC: u64 = 2;
        const SHT_NOBITS: u16 = 8;
        if u64_at(sh + 8)? & SHF_ALLOC != 0 && u16_at(sh + 4)? != SHT_NOBITS {
            total += u64_at(sh + 0x20)?;
        }
    }
    Some(total)
}
