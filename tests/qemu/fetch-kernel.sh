#!/bin/sh
# Fetches one of Debian's kernels for the QEMU suite (tests/qemu.rs) into a cache.
#
#   tests/qemu/fetch-kernel.sh DEBARCH SUITE PACKAGE OUTDIR
#
# e.g. `arm64 bookworm linux-image-arm64 ~/.cache/seccomp-qemu/arm64-bookworm`.
# PACKAGE is a metapackage; the kernel package it depends on is downloaded with an
# apt configuration of its own under OUTDIR/apt (its own sources, lists, an empty
# dpkg status, DEBARCH as the only architecture), so the system's sources, its
# architectures and its dpkg state stay as they are. The mirror is the one the
# system's own sources use. apt checks the lists' signatures with the system's
# Debian archive keyring and the package's checksum against the lists.
#
# Writes OUTDIR/vmlinuz (or the kernel image as the package ships it) and
# OUTDIR/kernel.txt: package, version, sha256 of the .deb and of the image.
# Does nothing when OUTDIR/kernel.txt exists.
set -eu
debarch=$1 suite=$2 package=$3 out=$4

if [ -s "$out/kernel.txt" ] && [ -s "$out/vmlinuz" ]; then
    exit 0
fi
for tool in apt-get apt-cache dpkg-deb sha256sum tar; do
    command -v "$tool" >/dev/null || { echo "fetch-kernel: $tool is not installed" >&2; exit 1; }
done

# The Debian mirror of the system's sources: the first URI whose suites name the
# system's own release (deb822 .sources files or one-line sources.list).
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
mirror=$(
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && awk -v c="$codename" '
            BEGIN { RS = ""; FS = "\n" }
            {
                uri = ""; ok = 0
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); uri = a[2] }
                    if ($i ~ /^Suites:/) { n = split($i, s, /[ \t]+/); for (j = 2; j <= n; j++) if (s[j] == c) ok = 1 }
                }
                if (ok && uri != "") print uri
            }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] && awk -v c="$codename" '$1 == "deb" { u = 2; if ($2 ~ /^\[/) { while ($u !~ /\]$/) u++; u++ } if ($(u + 1) == c) print $u }' "$f"
    done | sed -n 1p
)
mirror=$(echo "$mirror" | sed -n 1p)
[ -n "$mirror" ] || { echo "fetch-kernel: no Debian mirror for '$codename' in the system's apt sources" >&2; exit 1; }

apt=$out/apt
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts" "$out"
: >"$apt/status"
echo "deb [arch=$debarch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" >"$apt/sources.list"
set -- -q -o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts="$apt/parts" \
    -o Dir::Etc::Preferences="$apt/parts/none" -o Dir::Etc::PreferencesParts="$apt/parts" \
    -o Dir::State::Lists="$apt/lists" -o Dir::State::status="$apt/status" \
    -o Dir::Cache="$apt/cache" -o APT::Architecture="$debarch" -o APT::Architectures::="$debarch" \
    -o Acquire::Languages=none -o Debug::NoLocking=true -o APT::Sandbox::User=root \
    -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false

apt-get "$@" update >&2
# The metapackage depends on the versioned kernel package.
real=$(apt-cache "$@" depends --no-recommends --no-suggests "$package" \
    | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
[ -n "$real" ] || { echo "fetch-kernel: $package ($debarch, $suite) depends on no linux-image package" >&2; exit 1; }
(cd "$apt" && rm -f ./*.deb && apt-get "$@" download "$real:$debarch" >&2)
deb=$(ls "$apt"/*.deb)
rm -rf "$apt/x" && mkdir "$apt/x"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$apt/x" ./boot
image=$(ls "$apt"/x/boot/vmlinu[xz]-* | sed -n 1p)
cp "$image" "$out/vmlinuz"
{
    echo "package: $real"
    echo "version: $(dpkg-deb -f "$deb" Version)"
    echo "suite: $suite"
    echo "image: $(basename "$image")"
    echo "deb-sha256: $(sha256sum "$deb" | cut -d' ' -f1)"
    echo "image-sha256: $(sha256sum "$out/vmlinuz" | cut -d' ' -f1)"
} >"$out/kernel.txt.new"
mv "$out/kernel.txt.new" "$out/kernel.txt"
rm -rf "$apt/x" "$deb" "$apt/lists" "$apt/cache"
cat "$out/kernel.txt"
