#!/usr/bin/env bash
# Build a small ext4 disk image for the default Linux guest's --disk, as
# an ordinary user: mke2fs -d copies a directory filled here (Debian's
# static busybox, a README and an fstab) into a new file system, so no
# loop mount and no root are needed.
#
#   guests/linux/build-rootfs.sh [OUTDIR]
#
# Cached as ${KVMSCOPE_CACHE:-~/.cache/kvmscope}/rootfs/<key>/rootfs.ext4,
# <key> = hash of this script and the busybox-static and e2fsprogs
# versions.  The cached image is the pristine one: give the guest a copy
# (make demo and the tests do), as a guest writing to it would change it.
# With OUTDIR the image is also copied there.  The last line on stdout is
# the image's path.
set -euo pipefail

SIZE_MIB=32
BUSYBOX=/bin/busybox
MKE2FS=/usr/sbin/mke2fs

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"
cache=${KVMSCOPE_CACHE:-$HOME/.cache/kvmscope}
outdir=${1:-}

say() { printf 'build-rootfs: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

pkg_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

for pkg in busybox-static e2fsprogs; do
	pkg_installed "$pkg" ||
		die "$pkg is not installed: run scripts/install-deps.sh"
done

key=$({
	dpkg-query -W -f='${Package} ${Version}\n' busybox-static e2fsprogs
	cat "$self"
} | sha256sum | cut -c1-16)
dir="$cache/rootfs/$key"

if [ ! -f "$dir/rootfs.ext4" ]; then
	say "building a ${SIZE_MIB} MiB ext4 image"
	mkdir -p "$cache/rootfs"
	tmp="$cache/rootfs/.$key.tmp"
	rm -rf "$tmp"
	mkdir -p "$tmp/root/bin" "$tmp/root/etc"
	trap 'rm -rf "$tmp"' EXIT
	cp "$BUSYBOX" "$tmp/root/bin/busybox"
	printf '%s\n' "/dev/vda / ext4 defaults 0 1" > "$tmp/root/etc/fstab"
	printf '%s\n' \
		"kvmscope's demo disk: an ext4 file system built by" \
		"guests/linux/build-rootfs.sh with mke2fs -d (no root needed)." \
		> "$tmp/root/README"
	# Fixed owners and times: the same inputs give the same image.
	find "$tmp/root" -exec touch -h -d @1700000000 {} +
	E2FSPROGS_FAKE_TIME=1700000000 "$MKE2FS" -q -F -t ext4 -L kvmscope \
		-U 6b766d73-636f-7065-2d72-6f6f74667321 \
		-E root_owner=0:0,hash_seed=6b766d73-636f-7065-2d72-6f6f74667321 \
		-d "$tmp/root" "$tmp/rootfs.ext4" "${SIZE_MIB}M" >&2 ||
		die "mke2fs failed"
	mkdir -p "$dir"
	mv "$tmp/rootfs.ext4" "$dir/rootfs.ext4"
fi
ln -sfn "$key" "$cache/rootfs/current"
if [ -n "$outdir" ]; then
	mkdir -p "$outdir"
	cp "$dir/rootfs.ext4" "$outdir/"
	echo "$outdir/rootfs.ext4"
else
	echo "$dir/rootfs.ext4"
fi
