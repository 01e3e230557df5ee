#!/usr/bin/env python3
"""Our programs against libseccomp's, decision by decision, on every ABI both know.

usage: compare.py SECCOMPC

For each policy below, compiles it with `seccompc compile --format json` and with
libseccomp (Debian's python3-seccomp), then runs both programs in the reference
interpreter of ../shared/bench/bpf.py (the kernel's semantics, endian-aware) on
every syscall number of every ABI's range, the x32 range, and a few argument
vectors, and counts the cases where the actions differ.

Known, documented differences. On a mips ABI, the other two mips ABIs' numbers
(o32 4000-4999, n64 5000-5999, n32 6000-6999) reach a mips kernel's filter with
this ABI's arch value; we give them bad_arch, libseccomp its default: counted as
explained, not as mismatches. Set up to agree here: libseccomp's default action
for other ABIs is kill_thread, ours kill_process (the attribute is set). The
argument vectors keep high words clear, where libseccomp compares 64 bits and we
compare what the kernel reads (the low 32 bits of an `int`, or of a `long` the kernel
narrows, like writev's fd): see the language docs.

Exit 0 with no mismatch; 1 otherwise; 77 when libseccomp or bench/ is missing.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, "..", "..", "..", "shared", "bench")
sys.path.insert(0, BENCH)
try:
    import bpf  # noqa: E402
    import seccomp  # noqa: E402
except ImportError as e:
    print(f"libseccomp comparison not run: {e} (apt-get install python3-seccomp; ../shared/bench)")
    sys.exit(77)

BIG = {"ppc64", "ppc", "s390x", "s390", "mips", "mips64", "mips64n32", "parisc", "parisc64", "m68k", "sheb"}
ABIS = ["x86_64", "x86", "x32", "aarch64", "arm", "riscv64", "ppc64le", "ppc64", "ppc", "s390x", "s390",
        "mips", "mipsel", "mips64", "mipsel64", "mips64n32", "mipsel64n32", "loongarch64", "parisc",
        "parisc64", "m68k", "sh", "sheb"]

# (our policy text, libseccomp default action, [(action, name, [args])])
POLICIES = [
    ("read: fd == 0;\nwrite: fd == 1;\nexit_group;\ndefault => kill;\n",
     seccomp.KILL_PROCESS,
     [(seccomp.ALLOW, "read", [seccomp.Arg(0, seccomp.EQ, 0)]),
      (seccomp.ALLOW, "write", [seccomp.Arg(0, seccomp.EQ, 1)]),
      (seccomp.ALLOW, "exit_group", [])]),
    ("close => errno(EBADF);\nread: fd == 2 => errno(EPERM);\ngetpid => trap;\ndefault => allow;\n",
     seccomp.ALLOW,
     [(seccomp.ERRNO(9), "close", []),
      (seccomp.ERRNO(1), "read", [seccomp.Arg(0, seccomp.EQ, 2)]),
      (seccomp.TRAP, "getpid", [])]),
    # A parameter declared `unsigned long` that the kernel narrows to 32 bits (an fd):
    # with clear high words, both readings agree.
    ("writev: fd == 2 => errno(EPERM);\ndefault => allow;\n",
     seccomp.ALLOW,
     [(seccomp.ERRNO(1), "writev", [seccomp.Arg(0, seccomp.EQ, 2)])]),
]


# The first number of each mips ABI's range (o32, n64, n32).
MIPS_RANGE = {"mips": 4000, "mipsel": 4000, "mips64": 5000, "mipsel64": 5000,
              "mips64n32": 6000, "mipsel64n32": 6000}
KILL_PROCESS = 0x80000000


def main():
    seccompc = sys.argv[1]
    total = bad = 0
    for text, default, rules in POLICIES:
        with tempfile.NamedTemporaryFile("w", suffix=".policy", delete=False) as f:
            f.write(text)
            path = f.name
        for abi in ABIS:
            try:
                arch = seccomp.Arch(abi)
            except Exception:
                print(f"{abi:12} libseccomp {seccomp.__name__} does not know this ABI: not compared")
                continue
            flt = seccomp.SyscallFilter(default)
            flt.set_attr(seccomp.Attr.ACT_BADARCH, seccomp.KILL_PROCESS)
            flt.remove_arch(seccomp.Arch.NATIVE)
            flt.add_arch(arch)
            for action, name, args in rules:
                flt.add_rule(action, name, *args)
            with tempfile.TemporaryFile() as t:
                flt.export_bpf(t)
                t.seek(0)
                raw = t.read()
            endian = ">" if abi in BIG else "<"
            theirs = [struct.unpack(endian + "HBBI", raw[i:i + 8]) for i in range(0, len(raw), 8)]
            out = subprocess.run([seccompc, "compile", path, "--arch", abi, "--format", "json"],
                                 capture_output=True, text=True, check=True).stdout
            ours = [(d["code"], d["jt"], d["jf"], d["k"]) for d in json.loads(out)]
            assert not bpf.validate(ours), (abi, bpf.validate(ours))
            audit = ours[1][3]
            numbers = list(range(0, 1100)) + [base + i for base in (4000, 5000, 6000) for i in range(500)] \
                + [0x40000000 + i for i in range(600)] + [0x0f0000 + i for i in range(8)]
            own = MIPS_RANGE.get(abi)
            n = mism = explained = 0
            for nr in numbers:
                for args in [(0,) * 6, (1,) + (0,) * 5, (2,) + (0,) * 5, (0xffffffff,) + (0,) * 5]:
                    a = bpf.run(theirs, nr, arch=audit, args=args, endian=endian)[0]
                    b = bpf.run(ours, nr, arch=audit, args=args, endian=endian)[0]
                    n += 1
                    if a != b and own is not None and 4000 <= nr < 7000 and nr // 1000 * 1000 != own \
                            and b == KILL_PROCESS:
                        # Documented: a mips kernel runs the other mips ABIs' numbers
                        # under this ABI's arch value; we give them bad_arch (kill_process
                        # here), libseccomp its default.
                        explained += 1
                        continue
                    if a != b:
                        mism += 1
                        if mism <= 3:
                            print(f"  mismatch {abi} nr={nr:#x} args={args}: libseccomp {a:#x}, ours {b:#x}")
            total += n
            bad += mism
            note = f" ({explained} explained: other mips ABIs' numbers get bad_arch)" if explained else ""
            print(f"{abi:12} {len(theirs):4} vs {len(ours):4} instructions, {n} cases, {mism} mismatches{note}")
        os.unlink(path)
    print(f"{total} cases, {bad} mismatches")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
