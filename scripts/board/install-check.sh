#!/usr/bin/env bash
# Installs a loupe .deb (deb.sh) into a clean Debian root filesystem, as a user would on a
# board, and runs it there: a fresh `debootstrap --variant=minbase` of SUITE for the
# package's architecture (arm64 runs through qemu-user-static, registered by rootfs.sh's
# steps), `apt-get install ./loupe_*.deb` (Depends pulled from the Debian mirror), then,
# with no Swift toolchain in the rootfs, `loupe --version` (which must name the XNNPACK
# package) and `loupe score` on the bundled samples with the bundled scorer found from the
# binary's path. Prints the ranking, and
# compares the scores with REFERENCE (a CSV of `loupe score -o`, e.g. from x86) when given:
# same order, every score within 1e-4.
# The rootfs is unpacked anew each run from a debootstrapped base kept in the cache (made
# on the first run: about 1 min for amd64, far longer for arm64 under qemu-user) and
# removed afterwards.
# Usage: scripts/board/install-check.sh bookworm|trixie DEB [REFERENCE.csv]   (as root)
set -euo pipefail
source "$(dirname "$0")/common.sh"
need_root
suite="${1:-}" deb="${2:-}" reference="${3:-}"
case "$suite" in bookworm|trixie) ;; *) die "usage: $0 bookworm|trixie DEB [REFERENCE.csv]" ;; esac
[ -f "$deb" ] || die "no package at '$deb' (make one with scripts/board/deb.sh)"
deb="$(readlink -f "$deb")"
arch="$(dpkg-deb -f "$deb" Architecture)"
host_arch="$(dpkg --print-architecture)"
if [ "$arch" != "$host_arch" ]; then
    command -v qemu-aarch64-static >/dev/null || die "qemu-user-static is missing (scripts/board/rootfs.sh arm64 installs it)"
    [ -e /proc/sys/fs/binfmt_misc/status ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
command -v debootstrap >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }

root="$LOUPE_BOARD_CACHE/clean-$suite-$arch"
# The debootstrapped base is kept as a tarball and unpacked anew for each run, never
# changed: arm64's debootstrap runs its second stage under emulation (tens of minutes on a
# loaded machine). LOUPE_BOARD_FRESH=1 debootstraps anew.
base="$LOUPE_BOARD_CACHE/clean-$suite-$arch.tar"
rm -rf "$root"
trap 'rm -rf "$root"' EXIT
start=$(date +%s)
if [ -f "$base" ] && [ -z "${LOUPE_BOARD_FRESH:-}" ]; then
    mkdir -p "$root" && tar -C "$root" -xf "$base"
else
    debootstrap --arch="$arch" --variant=minbase --include=ca-certificates "$suite" "$root" "$(board_mirror)" >/dev/null
    tar -C "$root" -cf "$base.partial" . && mv "$base.partial" "$base"
fi
t_debootstrap=$(( $(date +%s) - start ))
cp "$deb" "$root/tmp/"
out="$root/tmp/scores.csv"
"$(dirname "$0")/chroot.sh" --root "$root" -- bash -euc '
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "/tmp/$1" >/dev/null
    if command -v swift swiftc >/dev/null; then echo "a Swift toolchain is on the PATH" >&2; exit 1; fi
    echo "installed: $(dpkg-query -W -f="\${Package} \${Version} \${Architecture}" loupe)"
    # The version names the Debian package of the libXNNPACK mapped into the process.
    loupe --version | tee /tmp/version.txt
    grep -qE "^XNNPACK: libxnnpack" /tmp/version.txt || { echo "loupe --version names no XNNPACK package" >&2; exit 1; }
    loupe score /usr/share/loupe/samples -o /tmp/scores.csv
    # The ranking, best first, from the CSV (scoring again would double a slow emulated run).
    tail -n +2 /tmp/scores.csv | sort -t, -k2,2 -gr | cut -d, -f1,2 | head -20
' install-check "$(basename "$deb")"
echo "clean $suite $arch rootfs: debootstrap or unpack ${t_debootstrap}s, in all $(( $(date +%s) - start ))s"
if [ -n "$reference" ]; then
    python3 - "$reference" "$out" <<'EOF'
import csv, sys
def scores(path):
    with open(path) as f:
        return {r["path"].rsplit("/", 1)[-1]: float(r["score"]) for r in csv.DictReader(f)}
ref, got = scores(sys.argv[1]), scores(sys.argv[2])
if set(ref) != set(got):
    sys.exit(f"install-check: photos differ: {sorted(set(ref) ^ set(got))}")
order = lambda s: sorted(s, key=lambda k: -s[k])
worst = max(abs(ref[k] - got[k]) for k in ref)
print(f"against {sys.argv[1]}: same ranking: {order(ref) == order(got)}, largest score difference {worst:.2e}")
sys.exit(0 if order(ref) == order(got) and worst <= 1e-4 else 1)
EOF
fi
