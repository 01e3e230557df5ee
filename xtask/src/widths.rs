//! Effective widths and ignored bits: the project's own audit of the kernel's
//! syscall bodies (`xtask/data/effective-widths.tsv`, `xtask/data/unknown-bits.tsv`),
//! applied after the prototypes have given every parameter its declared class.
//!
//! A parameter declared `long` / `unsigned long` that the function receiving it
//! narrows to 32 bits (`lower_32_bits(clone_flags)`, `fdget(unsigned int fd)`, …)
//! gets the 32-bit class, so that the compiler compares exactly the bits the kernel
//! uses. Both files are checked against the tables: a row that names a syscall,
//! entry point or parameter that does not exist is an error, and so is a
//! `long`/`unsigned long` parameter that the audit does not cover (named by a table
//! of an ABI with 64-bit registers, or in a prototype of `syscall-args.tsv` that a
//! table calls).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use crate::{ABIS, Data, HEADER, Syscall, col, read_tsv};

/// The project's data folder (beside this crate's sources).
pub fn data_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data"))
}

pub const WIDTHS: &str = "effective-widths.tsv";
pub const UNKNOWN_BITS: &str = "unknown-bits.tsv";

/// The entry point (`kernel-syscalls.tsv` `entry`) of each (table, syscall).
fn entries(data: &Data) -> BTreeMap<(&str, &str), &str> {
    data.syscalls
        .iter()
        .map(|r| ((col(r, "abi"), col(r, "name")), col(r, "entry")))
        .collect()
}

/// One audited row: the (syscall, param) it names and the entry points it covers.
struct Row {
    line: usize,
    syscall: String,
    param: String,
    entries: Vec<String>,
}

fn split_entries(s: &str) -> Vec<String> {
    s.split(',').map(|e| e.trim().to_owned()).collect()
}

/// Checks that every entry of `row` is the entry point of `row.syscall` in some
/// table, and that one of the tables calling it has `row.param` (unless none of them
/// knows its parameters yet). Tables may differ: arch `sys_mmap`s name their last
/// parameter `off` or `offset`.
fn check_exists(
    file: &str,
    row: &Row,
    tables: &[(&str, Vec<Syscall>)],
    entry_of: &BTreeMap<(&str, &str), &str>,
) -> Result<(), String> {
    for e in &row.entries {
        let (mut reached, mut known, mut named) = (false, false, false);
        for (t, syscalls) in tables {
            let Some(sc) = syscalls.iter().find(|s| s.name == row.syscall) else {
                continue;
            };
            if entry_of.get(&(*t, sc.name.as_str())) != Some(&e.as_str()) {
                continue;
            }
            reached = true;
            if let Some(ps) = &sc.params {
                known = true;
                named |= ps.iter().any(|p| p.name == row.param);
            }
        }
        if !reached {
            return Err(format!(
                "{file} row {}: no table calls `{e}` for `{}`",
                row.line, row.syscall
            ));
        }
        if known && !named {
            return Err(format!(
                "{file} row {}: `{}` is not a parameter of `{}` ({e}) on any ABI",
                row.line, row.param, row.syscall
            ));
        }
    }
    Ok(())
}

/// Applies `effective-widths.tsv` to the tables (which must be every table).
///
/// # Errors
///
/// A malformed row, a row naming nothing, two rows for one parameter, or a
/// `long`/`unsigned long` parameter without a row: one a table names on a
/// 64-bit-register ABI, or one of a `syscall-args.tsv` prototype that a table calls.
pub fn apply(data: &Data, tables: &mut [(&str, Vec<Syscall>)]) -> Result<(), String> {
    let entry_of = entries(data);
    let rows = read_tsv(&data_dir().join(WIDTHS))?;
    // (syscall, param, entry) → class to give it (None: keep the declared one).
    let mut verdicts: BTreeMap<(String, String, String), Option<&'static str>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        let line = i + 1;
        let class = match (col(r, "width"), col(r, "depends_on")) {
            ("full", _) => None,
            ("int32", "-") => Some("Int32"),
            ("uint32", "-") => Some("Uint32"),
            (w @ ("int32" | "uint32"), d) => {
                return Err(format!(
                    "{WIDTHS} row {line}: width {w} for a parameter that depends on `{d}`: such a parameter keeps its full width"
                ));
            }
            (w, _) => return Err(format!("{WIDTHS} row {line}: unknown width `{w}`")),
        };
        if col(r, "depends_on").is_empty() || col(r, "evidence").is_empty() {
            return Err(format!(
                "{WIDTHS} row {line}: depends_on and evidence are required"
            ));
        }
        let row = Row {
            line,
            syscall: col(r, "syscall").to_owned(),
            param: col(r, "param").to_owned(),
            entries: split_entries(col(r, "entries")),
        };
        check_exists(WIDTHS, &row, tables, &entry_of)?;
        for e in &row.entries {
            let key = (row.syscall.clone(), row.param.clone(), e.clone());
            if verdicts.insert(key, class).is_some() {
                return Err(format!(
                    "{WIDTHS} row {line}: `{}` `{}` ({e}) has another row",
                    row.syscall, row.param
                ));
            }
        }
    }
    let mut unaudited = BTreeSet::new();
    for (t, syscalls) in tables.iter_mut() {
        let wide = data
            .quirks
            .get(*t)
            .is_some_and(|q| col(q, "reg_bits") == "64");
        for sc in syscalls.iter_mut() {
            let Some(entry) = entry_of.get(&(*t, sc.name.as_str())).copied() else {
                continue;
            };
            let Some(ps) = sc.params.as_mut() else {
                continue;
            };
            for p in ps.iter_mut() {
                if !matches!(p.class, "Long" | "Ulong") {
                    continue;
                }
                match verdicts.get(&(sc.name.clone(), p.name.clone(), entry.to_owned())) {
                    Some(Some(class)) => p.class = class,
                    Some(None) => {}
                    None if wide => {
                        unaudited.insert(format!("{} {} ({entry}) on {t}", sc.name, p.name));
                    }
                    None => {}
                }
            }
        }
    }
    // Every long/ulong prototype parameter of an entry point some table calls has a
    // verdict too, on whatever ABI (32-bit ones included).
    let called: BTreeSet<&str> = entry_of.values().copied().collect();
    for (function, conds) in &data.args {
        if !called.contains(function.as_str()) {
            continue;
        }
        for r in conds.values().flatten() {
            let (param, class) = (col(r, "arg_name"), col(r, "class"));
            if matches!(class, "long" | "ulong")
                && !verdicts.keys().any(|(_, p, e)| p == param && e == function)
            {
                unaudited.insert(format!(
                    "{} {param} ({function}) in syscall-args.tsv",
                    col(r, "syscall")
                ));
            }
        }
    }
    if !unaudited.is_empty() {
        return Err(format!(
            "parameters declared long/unsigned long without a verdict in xtask/data/{WIDTHS} (read the kernel function and add a row):\n  {}",
            unaudited.into_iter().collect::<Vec<_>>().join("\n  ")
        ));
    }
    Ok(())
}

/// Renders `generated/unknown_bits.rs` from `unknown-bits.tsv`: per ABI, the flag
/// parameters whose unknown bits the kernel ignores, with the bits it knows.
///
/// # Errors
///
/// A malformed row or a row naming nothing.
pub fn render_unknown_bits(data: &Data, tables: &[(&str, Vec<Syscall>)]) -> Result<String, String> {
    let entry_of = entries(data);
    let rows = read_tsv(&data_dir().join(UNKNOWN_BITS))?;
    let mut out: BTreeSet<(usize, String, String, String, String, u64)> = BTreeSet::new();
    for (i, r) in rows.iter().enumerate() {
        let line = i + 1;
        let row = Row {
            line,
            syscall: col(r, "syscall").to_owned(),
            param: col(r, "param").to_owned(),
            entries: split_entries(col(r, "entries")),
        };
        check_exists(UNKNOWN_BITS, &row, tables, &entry_of)?;
        let except: Vec<&str> = match col(r, "except") {
            "-" => Vec::new(),
            e => e.split(',').collect(),
        };
        for x in &except {
            if !tables.iter().any(|(t, _)| t == x) {
                return Err(format!("{UNKNOWN_BITS} row {line}: unknown table `{x}`"));
            }
        }
        let known: Vec<String> = col(r, "known")
            .split('|')
            .map(|k| k.trim().to_owned())
            .collect();
        if known.iter().any(|k| {
            k.is_empty()
                || !k
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        }) || col(r, "evidence").is_empty()
        {
            return Err(format!(
                "{UNKNOWN_BITS} row {line}: `known` must be constant names joined by `|`, and evidence is required"
            ));
        }
        // `mips=0x…;*=0x…`: the mask per kernel arch folder.
        let mut values: Vec<(&str, u64)> = Vec::new();
        for part in col(r, "known_value").split(';') {
            let (dir, hex) = part.split_once('=').ok_or_else(|| {
                format!("{UNKNOWN_BITS} row {line}: known_value `{part}` is not DIR=0xHEX")
            })?;
            let v = u64::from_str_radix(hex.trim_start_matches("0x"), 16)
                .map_err(|e| format!("{UNKNOWN_BITS} row {line}: known_value `{part}`: {e}"))?;
            values.push((dir, v));
        }
        let mut applied = false;
        for (t, syscalls) in tables {
            if except.contains(t) {
                continue;
            }
            let dir = data
                .abi_map
                .get(*t)
                .map_or("", |a| col(a, "kernel_arch_dir"));
            let value = values
                .iter()
                .find(|(d, _)| *d == dir)
                .or_else(|| values.iter().find(|(d, _)| *d == "*"))
                .map(|&(_, v)| v)
                .ok_or_else(|| {
                    format!("{UNKNOWN_BITS} row {line}: no known_value for {t} (arch/{dir})")
                })?;
            let Some(sc) = syscalls.iter().find(|s| s.name == row.syscall) else {
                continue;
            };
            let Some(entry) = entry_of.get(&(*t, sc.name.as_str())) else {
                continue;
            };
            if !row.entries.iter().any(|e| e == entry)
                || !sc
                    .params
                    .as_ref()
                    .is_some_and(|ps| ps.iter().any(|p| p.name == row.param))
            {
                continue;
            }
            for &(_, abi, tbl, _) in ABIS {
                if tbl == *t {
                    let pos = ABIS.iter().position(|a| a.1 == abi).unwrap_or(0);
                    out.insert((
                        pos,
                        abi.to_owned(),
                        row.syscall.clone(),
                        row.param.clone(),
                        known.join("\", \""),
                        value,
                    ));
                    applied = true;
                }
            }
        }
        if !applied {
            return Err(format!(
                "{UNKNOWN_BITS} row {line}: `{}` `{}` is named on no ABI",
                row.syscall, row.param
            ));
        }
    }
    let mut s = format!(
        "{HEADER}\n//! Flag parameters whose unknown bits the kernel ignores, per ABI (xtask/data/{UNKNOWN_BITS}).\n\nuse crate::tables::UnknownBits;\n\n/// Sorted by ABI (in `ABIS` order), syscall and parameter.\npub static UNKNOWN_BITS: &[UnknownBits] = &[\n"
    );
    for (_, abi, sc, p, known, value) in out {
        writeln!(
            s,
            "    UnknownBits {{ abi: \"{abi}\", syscall: \"{sc}\", param: \"{p}\", known: &[\"{known}\"], known_value: {value:#x} }},"
        )
        .unwrap();
    }
    s.push_str("];\n");
    Ok(s)
}
