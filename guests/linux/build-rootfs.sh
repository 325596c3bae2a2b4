#!/usr/bin/env bash
# Build a small ext4 disk image for the default Linux guest's --disk, as
# an ordinary user: mke2fs -d copies a directory filled here (Debian's
# static busybox, pciutils' lspci with the shared libraries it needs and
# pci.ids, a README and an fstab) into a new file system, so no loop
# mount and no root are needed. In the guest: mount /dev/vda /mnt,
# mount -t sysfs sysfs /mnt/sys, chroot /mnt lspci.
#
#   guests/linux/build-rootfs.sh [OUTDIR]
#
# Cached as ${KVMSCOPE_CACHE:-~/.cache/kvmscope}/rootfs/<key>/rootfs.ext4,
# <key> = hash of this script and the busybox-static, e2fsprogs and
# pciutils versions (and of the libraries lspci links).  The cached image is the pristine one: give the guest a copy
# (make demo and the tests do), as a guest writing to it would change it.
# With OUTDIR the image is also copied there.  The last line on stdout is
# the image's path.
set -euo pipefail

SIZE_MIB=48
BUSYBOX=/bin/busybox
LSPCI=/usr/bin/lspci
PCI_IDS=/usr/share/misc/pci.ids
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

for pkg in busybox-static e2fsprogs pciutils; do
	pkg_installed "$pkg" ||
		die "$pkg is not installed: run scripts/install-deps.sh"
done

# What lspci loads: the dynamic loader and every library ldd names.
libs() {
	ldd "$LSPCI" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'
}

key=$({
	dpkg-query -W -f='${Package} ${Version}\n' busybox-static e2fsprogs \
		pciutils
	libs | xargs -r sha256sum
	cat "$self"
} | sha256sum | cut -c1-16)
dir="$cache/rootfs/$key"

if [ ! -f "$dir/rootfs.ext4" ]; then
	say "building a ${SIZE_MIB} MiB ext4 image"
	mkdir -p "$cache/rootfs"
	tmp="$cache/rootfs/.$key.tmp"
	rm -rf "$tmp"
	mkdir -p "$tmp/root/bin" "$tmp/root/etc" "$tmp/root/sys" "$tmp/root/proc" \
		"$tmp/root/dev"
	trap 'rm -rf "$tmp"' EXIT
	cp "$BUSYBOX" "$tmp/root/bin/busybox"
	# lspci as Debian ships it, at the same paths, for chroot /mnt lspci.
	mkdir -p "$tmp/root/usr/bin" "$tmp/root/usr/share/misc"
	cp "$LSPCI" "$tmp/root/usr/bin/lspci"
	cp -L "$PCI_IDS" "$tmp/root/usr/share/misc/pci.ids"
	for lib in $(libs); do
		mkdir -p "$tmp/root$(dirname "$lib")"
		cp -L "$lib" "$tmp/root$lib"
	done
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
