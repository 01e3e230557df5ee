//! `seccomp-bpf/src/generated/arches.rs`: one description of each ABI a filter can be
//! compiled for — libseccomp's name, the Rust `cfg` that selects it, `AUDIT_ARCH`,
//! byte order, register and pointer width, the syscall numbers it owns — and the
//! `cfg`-selected ABI of the compilation target. The macro, the runtime and the CLI
//! all read it, so they cannot disagree on which target runs which ABI.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use crate::{ABIS, HEADER, Row, col, read_tsv};

/// What the generated code says of one ABI.
struct Desc {
    name: &'static str,
    cfg: Option<Cfg>,
    audit_arch: u32,
    big_endian: bool,
    reg_bits: u8,
    pointer_bits: u8,
    nr_first: u32,
    nr_last: u32,
}

/// The Rust targets of an ABI: any of these `target_arch` values, with this
/// `target_endian` and `target_pointer_width`.
struct Cfg {
    arches: Vec<String>,
    endian: &'static str,
    pointer_width: String,
}

impl Cfg {
    fn text(&self) -> String {
        let arch = if self.arches.len() == 1 {
            format!("target_arch = \"{}\"", self.arches[0])
        } else {
            let any: Vec<String> = self
                .arches
                .iter()
                .map(|a| format!("target_arch = \"{a}\""))
                .collect();
            format!("any({})", any.join(", "))
        };
        format!(
            "all({arch}, target_endian = \"{}\", target_pointer_width = \"{}\")",
            self.endian, self.pointer_width
        )
    }

    fn matches(&self, target: &Row) -> bool {
        self.arches.iter().any(|a| a == col(target, "target_arch"))
            && col(target, "target_endian") == self.endian
            && col(target, "target_pointer_width") == self.pointer_width
    }
}

fn parse_hex(s: &str) -> Result<u32, String> {
    u32::from_str_radix(s.trim_start_matches("0x"), 16).map_err(|e| format!("{s}: {e}"))
}

fn describe(dir: &Path) -> Result<(Vec<Desc>, Vec<String>), String> {
    let audit = read_tsv(&dir.join("audit-arch.tsv"))?;
    let abi_map: BTreeMap<String, Row> = read_tsv(&dir.join("kernel-tbl/abi-map.tsv"))?
        .into_iter()
        .map(|r| (col(&r, "abi").to_owned(), r))
        .collect();
    let quirks: BTreeMap<String, Row> = read_tsv(&dir.join("abi-quirks.tsv"))?
        .into_iter()
        .map(|r| (col(&r, "abi").to_owned(), r))
        .collect();
    let targets = read_tsv(&dir.join("rust-linux-targets.tsv"))?;
    let syscalls = read_tsv(&dir.join("kernel-syscalls.tsv"))?;

    let offset = |abi: &str| -> Result<u32, String> {
        let o = col(
            abi_map.get(abi).ok_or(format!("abi-map: no {abi}"))?,
            "nr_offset",
        );
        if o.starts_with("0x") {
            parse_hex(o)
        } else {
            o.parse().map_err(|e| format!("{abi} nr_offset {o}: {e}"))
        }
    };

    let mut out = Vec::new();
    for &(_, name, tbl, audit_name) in ABIS {
        // The AUDIT_ARCH row of this ABI (x32 shares AUDIT_ARCH_X86_64 with x86_64,
        // and has a row of its own: kernel_abi x32).
        let kernel_abi = if name == "x32" { "x32" } else { tbl };
        let a = audit
            .iter()
            .find(|r| col(r, "audit_arch") == audit_name && col(r, "kernel_abi") == kernel_abi)
            .ok_or_else(|| format!("audit-arch.tsv: no {audit_name} row for {kernel_abi}"))?;
        let audit_arch = parse_hex(col(a, "value_hex"))?;
        // The byte order of seccomp_data is the ABI's own; the AUDIT_ARCH flag says
        // which one each libseccomp ABI is (arm and aarch64 are the little-endian
        // ones: big-endian kernels report the same constants, audit-arch.tsv notes).
        let big_endian = match col(a, "audit_endian") {
            "be" => true,
            "le" => false,
            e => return Err(format!("{audit_name}: endianness {e}")),
        };
        let pointer_bits: u8 = col(a, "abi_pointer_width")
            .parse()
            .map_err(|e| format!("{audit_name} abi_pointer_width: {e}"))?;
        let reg_bits: u8 = col(
            quirks.get(tbl).ok_or(format!("abi-quirks: no {tbl}"))?,
            "reg_bits",
        )
        .parse()
        .map_err(|e| format!("{tbl} reg_bits: {e}"))?;
        // The Rust targets: audit-arch.tsv's rust_* columns ('|' = alternatives,
        // '-' = none), of the ABI's own byte order only — a big-endian aarch64 or
        // arm target reports the same AUDIT_ARCH but lays seccomp_data out
        // big-endian, which this (little-endian) ABI does not describe.
        let endian = if big_endian { "big" } else { "little" };
        let rust_arches = col(a, "rust_target_arch");
        let cfg = if rust_arches == "-"
            || !col(a, "rust_target_endian").split('|').any(|e| e == endian)
        {
            None
        } else {
            Some(Cfg {
                arches: rust_arches.split('|').map(str::to_owned).collect(),
                endian,
                pointer_width: col(a, "rust_target_pointer_width").to_owned(),
            })
        };
        if let Some(c) = &cfg
            && c.pointer_width != pointer_bits.to_string()
        {
            return Err(format!(
                "{name}: Rust pointer width {} is not the ABI's {pointer_bits}",
                c.pointer_width
            ));
        }
        // The numbers the ABI owns (seccomp_data.nr is an int: negative numbers are
        // no ABI's). An ABI whose numbers start at an offset shares its kernel with
        // ABIs of other offsets (abi-map.tsv nr_offset): x86_64 kernels dispatch
        // numbers with __X32_SYSCALL_BIT (bit 30) to x32, mips64 kernels take
        // 4000–4999 as o32, 5000–5999 as n64, 6000–6999 as n32
        // (arch/mips/include/uapi/asm/unistd.h: __NR_O32_Linux 4000, __NR_64_Linux
        // 5000, __NR_N32_Linux 6000).
        let own = offset(tbl)?;
        let dir_of = |abi: &str| {
            abi_map
                .get(abi)
                .map(|r| col(r, "kernel_arch_dir").to_owned())
        };
        let siblings: BTreeSet<u32> = ABIS
            .iter()
            .filter(|(_, _, t, au)| {
                dir_of(t) == dir_of(tbl) && (*au == audit_name || tbl.starts_with("mips"))
            })
            .map(|(_, _, t, _)| offset(t))
            .collect::<Result<_, _>>()?;
        let next = siblings.iter().copied().find(|&o| o > own);
        let (nr_first, nr_last) = if tbl.starts_with("mips") {
            // Bases 1000 apart: each block runs to the next base.
            let bases: Vec<u32> = siblings.iter().copied().collect();
            if bases.windows(2).any(|w| w[1] - w[0] != 1000) {
                return Err(format!("mips bases {bases:?} are not 1000 apart"));
            }
            (own, own + 999)
        } else if let Some(n) = next {
            (own, n - 1)
        } else {
            (own, 0x7fff_ffff)
        };
        for r in syscalls.iter().filter(|r| col(r, "abi") == kernel_abi) {
            let nr: u32 = col(r, "nr")
                .parse()
                .map_err(|e| format!("{kernel_abi} nr {}: {e}", col(r, "nr")))?;
            if !(nr_first..=nr_last).contains(&nr) {
                return Err(format!(
                    "{name}: syscall number {nr} is outside {nr_first}..={nr_last}"
                ));
            }
        }
        out.push(Desc {
            name,
            cfg,
            audit_arch,
            big_endian,
            reg_bits,
            pointer_bits,
            nr_first,
            nr_last,
        });
    }

    // Every Linux target of rustc matches at most one ABI, the one the data says it
    // runs under; a target that matches none runs under no ABI described here.
    let mut without = Vec::new();
    for t in &targets {
        let matching: Vec<&Desc> = out
            .iter()
            .filter(|d| d.cfg.as_ref().is_some_and(|c| c.matches(t)))
            .collect();
        let name = col(t, "rust_target");
        match matching.as_slice() {
            [d] => {
                let (_, _, tbl, audit_name) =
                    ABIS.iter().find(|a| a.1 == d.name).expect("an ABI of ABIS");
                let kernel_abi = if d.name == "x32" { "x32" } else { tbl };
                if col(t, "kernel_abi") != kernel_abi || col(t, "audit_arch") != *audit_name {
                    return Err(format!(
                        "rust target {name} matches the cfg of {} but runs under {} ({})",
                        d.name,
                        col(t, "kernel_abi"),
                        col(t, "audit_arch")
                    ));
                }
            }
            [] => {
                let why = match col(t, "kernel_abi") {
                    "-" => "no upstream Linux syscall ABI".to_owned(),
                    k if ABIS.iter().any(|a| a.2 == k) => format!(
                        "{k} kernel ABI, {}-endian: its seccomp_data is laid out in the other byte order than the `{k}` ABI's",
                        col(t, "target_endian")
                    ),
                    k => format!("{k}: libseccomp has no such ABI, and neither has this project"),
                };
                without.push(format!("`{name}` ({why})"));
            }
            many => {
                return Err(format!(
                    "rust target {name} matches several ABIs: {:?}",
                    many.iter().map(|d| d.name).collect::<Vec<_>>()
                ));
            }
        }
    }
    Ok((out, without))
}

/// A syscall number as the generated code writes it: bit patterns in hex, mips
/// bases in decimal.
fn number(n: u32) -> String {
    if n < 0x1_0000 {
        n.to_string()
    } else {
        format!("{n:#x}")
    }
}

/// Renders `seccomp-bpf/src/generated/arches.rs`.
pub fn render(dir: &Path) -> Result<String, String> {
    let (descs, without) = describe(dir)?;
    let mut s = format!(
        "{HEADER}\n//! One description of each ABI (audit-arch.tsv, kernel-tbl/abi-map.tsv, abi-quirks.tsv, rust-linux-targets.tsv).\n\nuse super::ArchInfo;\nuse crate::data::Endian;\n\n/// Every ABI a filter can be compiled for, in the compiler's order (`seccomp_compiler::Arch::ALL`).\n///\n/// The Linux targets of rustc 1.95.0 that run none of them:\n"
    );
    for w in &without {
        writeln!(s, "/// - {w}").unwrap();
    }
    s.push_str("pub const ARCHES: &[ArchInfo] = &[\n");
    for d in &descs {
        let cfg = d
            .cfg
            .as_ref()
            .map_or("None".to_owned(), |c| format!("Some({:?})", c.text()));
        writeln!(
            s,
            "    ArchInfo {{\n        name: \"{}\",\n        cfg: {cfg},\n        audit_arch: {:#010x},\n        endian: Endian::{},\n        reg_bits: {},\n        pointer_bits: {},\n        nr_first: {},\n        nr_last: {},\n    }},",
            d.name,
            d.audit_arch,
            if d.big_endian { "Big" } else { "Little" },
            d.reg_bits,
            d.pointer_bits,
            number(d.nr_first),
            number(d.nr_last)
        )
        .unwrap();
    }
    s.push_str("];\n\n");
    let doc = "/// The ABI of the target this crate is compiled for: the entry of [`ARCHES`]\n/// whose `cfg` holds; `None` where none does (the targets [`ARCHES`] lists).\n";
    let mut all = Vec::new();
    for (i, d) in descs.iter().enumerate() {
        let Some(c) = &d.cfg else { continue };
        let text = c.text();
        writeln!(
            s,
            "{doc}#[cfg({text})]\npub const NATIVE: Option<&ArchInfo> = Some(&ARCHES[{i}]);\n"
        )
        .unwrap();
        all.push(text);
    }
    writeln!(
        s,
        "{doc}#[cfg(not(any({})))]\npub const NATIVE: Option<&ArchInfo> = None;",
        all.join(", ")
    )
    .unwrap();
    Ok(s)
}
