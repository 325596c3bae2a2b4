#!/usr/bin/env bash
# Build kvmscope's default initramfs: Debian's static busybox and
# guests/linux/init as /init, in an UNCOMPRESSED newc cpio (the guest would
# otherwise decompress it in emulated kernel code).
#
#   guests/linux/build-initramfs.sh [OUTDIR]
#
# Cached as ${KVMSCOPE_CACHE:-~/.cache/kvmscope}/initramfs/<key>/initramfs.cpio,
# <key> = hash of this script, init, mkcpio.py and the busybox-static
# version; initramfs/current points at the last one used.  With OUTDIR the
# archive is also copied there.  The last line on stdout is the cpio path.
set -euo pipefail

PKG=busybox-static
BUSYBOX=/bin/busybox

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"
cache=${KVMSCOPE_CACHE:-$HOME/.cache/kvmscope}
outdir=${1:-}

say() { printf 'build-initramfs: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

pkg_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

if ! pkg_installed "$PKG" || ! pkg_installed python3; then
	say "installing $PKG python3"
	sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends "$PKG" python3 >&2 ||
		die "apt-get install $PKG failed"
fi
version=$(dpkg-query -W -f='${Version}' "$PKG")
# The initramfs has no applet links (see below): busybox's shell must find
# applets by name by itself.
env -i PATH=/nonexistent "$BUSYBOX" sh -c 'true | cat' 2>/dev/null ||
	die "$BUSYBOX was built without FEATURE_SH_STANDALONE"

key=$({
	echo "$PKG $version"
	for f in "$self" "$here/init" "$here/mkcpio.py"; do
		echo "$(basename "$f")"; cat "$f"
	done
} | sha256sum | cut -c1-16)
dir="$cache/initramfs/$key"

if [ ! -f "$dir/initramfs.cpio" ]; then
	say "building the initramfs (busybox $version)"
	mkdir -p "$cache/initramfs"
	tmp="$cache/initramfs/.$key.tmp"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	trap 'rm -rf "$tmp"' EXIT
	printf '%s\n' \
		"proc /proc proc defaults 0 0" \
		"sysfs /sys sysfs defaults 0 0" \
		"devtmpfs /dev devtmpfs defaults 0 0" > "$tmp/fstab"
	{
		for d in / /bin /usr /usr/bin /dev /etc /proc /sys /run /tmp /root; do
			case $d in
			/tmp) echo "dir $d 1777 0 0" ;;
			/root) echo "dir $d 0700 0 0" ;;
			*) echo "dir $d 0755 0 0" ;;
			esac
		done
		# The kernel opens /dev/console for init's stdio before devtmpfs
		# is mounted.
		echo "nod /dev/console 0600 0 0 c 5 1"
		echo "file /bin/busybox $BUSYBOX 0755 0 0"
		echo "file /init $here/init 0755 0 0"
		echo "file /etc/fstab $tmp/fstab 0644 0 0"
		# No link per applet: Debian's busybox-static runs applets by
		# name from its shell and from xargs/env/find... (FEATURE_SH_
		# STANDALONE, FEATURE_PREFER_APPLETS), and unpacking the 270
		# links costs ~10 s of emulated kernel time here (each is a
		# path lookup + tmpfs inode).  Only the paths that other
		# programs exec directly exist; `busybox --install -s` in the
		# guest creates the rest.
		echo "slink /bin/sh busybox 0777 0 0"
		echo "slink /usr/bin/env ../../bin/busybox 0777 0 0"
	} > "$tmp/list"
	python3 "$here/mkcpio.py" "$tmp/initramfs.cpio" < "$tmp/list" ||
		die "mkcpio.py failed"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	trap - EXIT
	say "$(stat -c %s "$dir/initramfs.cpio") bytes"
fi

ln -sfn "$key" "$cache/initramfs/current"
if [ -n "$outdir" ]; then
	mkdir -p "$outdir"
	cp -f "$dir/initramfs.cpio" "$outdir/initramfs.cpio"
	echo "$(cd "$outdir" && pwd)/initramfs.cpio"
else
	echo "$dir/initramfs.cpio"
fi
