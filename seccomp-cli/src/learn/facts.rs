//! What learn records: per syscall, how often it was called and which values each
//! argument register held (up to [`MAX_VALUES`] different ones), and the format in
//! which these facts are kept at the end of the written policy so that
//! `--merge` can read them back.
//!
//! The block is a run of comment lines, after the policy:
//!
//! ```text
//! // seccompc-learn-facts v1: read back by `seccompc learn --merge`; keep as is
//! // facts abi x86_64
//! // facts run sort data.txt -o sorted.txt
//! // facts syscall openat 12 0xffffff9c * 0x0,0x80000 0x0 - -
//! ```
//!
//! `syscall NAME COUNT A0 … A5`: each `A` is `*` when more than [`MAX_VALUES`]
//! values were seen, `-` when none was (registers the syscall does not read are
//! not recorded; a number the ABI's table lacks is written `#NR`),
//! or the values seen, in hexadecimal, sorted, comma-separated. Values are the
//! whole 64-bit registers, as `seccomp_data.args` holds them.

use std::collections::{BTreeMap, BTreeSet};

use seccomp_compiler::Arch;

/// How many different values of an argument are kept before it counts as "many".
pub(crate) const MAX_VALUES: usize = 16;

/// The first line of the facts block.
pub(crate) const HEADER: &str =
    "// seccompc-learn-facts v1: read back by `seccompc learn --merge`; keep as is";

/// The values one argument register held: `None` when more than [`MAX_VALUES`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Values(pub(crate) Option<BTreeSet<u64>>);

impl Values {
    fn empty() -> Values {
        Values(Some(BTreeSet::new()))
    }

    fn add(&mut self, v: u64) {
        if let Some(set) = &mut self.0 {
            set.insert(v);
            if set.len() > MAX_VALUES {
                self.0 = None;
            }
        }
    }

    fn union(&mut self, other: &Values) {
        match &other.0 {
            None => self.0 = None,
            Some(set) => set.iter().for_each(|&v| self.add(v)),
        }
    }
}

/// One syscall's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stat {
    pub(crate) count: u64,
    pub(crate) args: [Values; 6],
}

impl Stat {
    fn new() -> Stat {
        Stat {
            count: 0,
            args: std::array::from_fn(|_| Values::empty()),
        }
    }
}

/// Everything recorded, over one or more runs, on one ABI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Facts {
    pub(crate) arch: Arch,
    /// The command line of each run.
    pub(crate) runs: Vec<String>,
    /// By syscall name; numbers the ABI's table lacks as `#NR`.
    pub(crate) syscalls: BTreeMap<String, Stat>,
    /// Calls of another ABI seen (the learning filter kills them; never expected).
    pub(crate) other_abi: u64,
}

impl Facts {
    pub(crate) fn new(arch: Arch) -> Facts {
        Facts {
            arch,
            runs: Vec::new(),
            syscalls: BTreeMap::new(),
            other_abi: 0,
        }
    }

    /// Records one notification.
    pub(crate) fn record(&mut self, audit_arch: u32, nr: i32, args: [u64; 6]) {
        #[allow(clippy::cast_sign_loss)]
        let nr = nr as u32;
        if audit_arch != self.arch.audit_arch() {
            self.other_abi += 1;
            return;
        }
        let sc = self.arch.syscall_by_nr(nr);
        let name = sc.map_or_else(|| format!("#{nr}"), |s| s.name.to_owned());
        // Only the registers the syscall reads: the others hold leftovers.
        let used = sc.and_then(|s| s.params).map_or(6, <[_]>::len);
        let stat = self.syscalls.entry(name).or_insert_with(Stat::new);
        stat.count += 1;
        for (values, v) in stat.args.iter_mut().zip(args).take(used) {
            values.add(v);
        }
    }

    pub(crate) fn total(&self) -> u64 {
        self.syscalls.values().map(|s| s.count).sum()
    }

    /// The union of two sets of facts of the same ABI: counts add up.
    pub(crate) fn merge(mut self, other: Facts) -> Facts {
        self.runs.extend(other.runs);
        self.other_abi += other.other_abi;
        for (name, s) in other.syscalls {
            let mine = self.syscalls.entry(name).or_insert_with(Stat::new);
            mine.count += s.count;
            for (a, b) in mine.args.iter_mut().zip(&s.args) {
                a.union(b);
            }
        }
        self
    }

    /// The facts block, as written at the end of a policy.
    pub(crate) fn to_block(&self) -> String {
        let mut out = format!("{HEADER}\n// facts abi {}\n", self.arch);
        for r in &self.runs {
            // One line per run: a newline in an argument would end the comment.
            out.push_str(&format!("// facts run {}\n", r.replace('\n', " ")));
        }
        if self.other_abi > 0 {
            out.push_str(&format!("// facts other-abi {}\n", self.other_abi));
        }
        for (name, s) in &self.syscalls {
            out.push_str(&format!("// facts syscall {name} {}", s.count));
            for a in &s.args {
                out.push(' ');
                match &a.0 {
                    None => out.push('*'),
                    Some(set) if set.is_empty() => out.push('-'),
                    Some(set) => {
                        let v: Vec<String> = set.iter().map(|v| format!("{v:#x}")).collect();
                        out.push_str(&v.join(","));
                    }
                }
            }
            out.push('\n');
        }
        out
    }

    /// Reads back the facts block of a policy written by learn.
    pub(crate) fn parse(text: &str) -> Result<Facts, String> {
        let mut lines = text.lines().skip_while(|l| l.trim() != HEADER);
        if lines.next().is_none() {
            return Err(format!(
                "it has no facts block (a line `{HEADER}`): it was not written by `seccompc learn`"
            ));
        }
        let mut facts: Option<Facts> = None;
        for (i, line) in lines.enumerate() {
            let line = line.trim();
            let Some(rest) = line.strip_prefix("// facts ") else {
                if line.is_empty() {
                    continue;
                }
                return Err(format!(
                    "line {} of the facts block is not a `// facts` line: `{line}`",
                    i + 2
                ));
            };
            let (kind, value) = rest.split_once(' ').unwrap_or((rest, ""));
            let bad =
                |what: &str| format!("bad `{kind}` line in the facts block ({what}): `{line}`");
            if kind == "abi" {
                let arch = Arch::from_name(value).ok_or_else(|| bad("unknown ABI"))?;
                facts = Some(Facts::new(arch));
                continue;
            }
            let f = facts
                .as_mut()
                .ok_or_else(|| "the facts block does not start with `// facts abi`".to_owned())?;
            match kind {
                "run" => f.runs.push(value.to_owned()),
                "other-abi" => f.other_abi = value.parse().map_err(|_| bad("a count"))?,
                "syscall" => {
                    let fields: Vec<&str> = value.split(' ').collect();
                    let [name, count, args @ ..] = fields.as_slice() else {
                        return Err(bad("too short"));
                    };
                    if args.len() != 6 {
                        return Err(bad("six argument fields are needed"));
                    }
                    if !name.starts_with('#') && f.arch.syscall(name).is_none() {
                        return Err(bad(&format!("{} has no syscall `{name}`", f.arch)));
                    }
                    let mut stat = Stat::new();
                    stat.count = count.parse().map_err(|_| bad("a count"))?;
                    for (slot, field) in stat.args.iter_mut().zip(args) {
                        *slot = match *field {
                            "*" => Values(None),
                            "-" => Values::empty(),
                            list => {
                                let mut set = BTreeSet::new();
                                for v in list.split(',') {
                                    let hex =
                                        v.strip_prefix("0x").ok_or_else(|| bad("a 0x value"))?;
                                    set.insert(
                                        u64::from_str_radix(hex, 16).map_err(|_| bad("a value"))?,
                                    );
                                }
                                if set.len() > MAX_VALUES {
                                    Values(None)
                                } else {
                                    Values(Some(set))
                                }
                            }
                        };
                    }
                    if f.syscalls.insert((*name).to_owned(), stat).is_some() {
                        return Err(bad("the syscall is listed twice"));
                    }
                }
                _ => return Err(bad("unknown kind")),
            }
        }
        facts.ok_or_else(|| "the facts block names no ABI (`// facts abi NAME`)".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_block_reads_back_as_written_and_merging_adds_up() {
        let arch = Arch::X86_64;
        let openat = arch.syscall("openat").unwrap().nr;
        let mut a = Facts::new(arch);
        a.runs.push("cat x".to_owned());
        for i in 0..20u64 {
            #[allow(clippy::cast_possible_wrap)]
            a.record(
                arch.audit_arch(),
                openat as i32,
                [i, 1 << 40, 0x80000, 0, 0, 0],
            );
        }
        a.record(arch.audit_arch(), 4000, [0; 6]);
        a.record(0x4000_0003, 1, [0; 6]);
        let text = format!("read;\ndefault => kill;\n\n{}", a.to_block());
        let back = Facts::parse(&text).unwrap();
        assert_eq!(back, a);
        let s = &back.syscalls["openat"];
        assert_eq!(s.count, 20);
        assert_eq!(s.args[0], Values(None));
        assert_eq!(s.args[2], Values(Some([0x80000].into())));
        assert_eq!(back.syscalls["#4000"].count, 1);
        assert_eq!(back.other_abi, 1);

        let mut b = Facts::new(arch);
        b.runs.push("cat y".to_owned());
        #[allow(clippy::cast_possible_wrap)]
        b.record(arch.audit_arch(), openat as i32, [0, 0, 0x2, 0, 0, 0]);
        let m = back.merge(b);
        assert_eq!(m.runs, ["cat x", "cat y"]);
        let s = &m.syscalls["openat"];
        assert_eq!(s.count, 21);
        assert_eq!(s.args[2], Values(Some([0x2, 0x80000].into())));
        assert_eq!(s.args[1], Values(Some([0, 1 << 40].into())));
    }

    #[test]
    fn a_file_without_facts_or_with_bad_facts_is_refused() {
        assert!(
            Facts::parse("read;\n")
                .unwrap_err()
                .contains("not written by")
        );
        let bad = format!("{HEADER}\n// facts abi x86_64\n// facts syscall opnat 1 - - - - - -\n");
        assert!(
            Facts::parse(&bad)
                .unwrap_err()
                .contains("no syscall `opnat`")
        );
        let bad = format!("{HEADER}\n// facts abi x86_64\n// facts syscall read 1 - -\n");
        assert!(Facts::parse(&bad).unwrap_err().contains("six"));
        let bad = format!("{HEADER}\n// facts abi vax\n");
        assert!(Facts::parse(&bad).unwrap_err().contains("unknown ABI"));
    }
}
