#!/usr/bin/env bash
# Build kvmscope's default initramfs: Debian's static busybox, its applet
# links and guests/linux/init as /init, in an UNCOMPRESSED newc cpio (the
# guest would otherwise decompress it in emulated kernel code).
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
	{
		for d in / /bin /sbin /usr /usr/bin /usr/sbin /dev /proc /sys \
			/tmp /root /etc /mnt /run; do
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
		# Applet links made here, not with "busybox --install" at boot:
		# 270 symlink() calls in emulated kernel code cost more than
		# unpacking them.
		"$BUSYBOX" --list-full | sort | while read -r applet; do
			case $applet in
			bin/busybox | linuxrc) continue ;; # linuxrc: /init is ours
			bin/*) target=busybox ;;
			sbin/*) target=../bin/busybox ;;
			usr/bin/* | usr/sbin/*) target=../../bin/busybox ;;
			*) die "unexpected applet path $applet" ;;
			esac
			echo "slink /$applet $target 0777 0 0"
		done
	} > "$tmp/list"
	python3 "$here/mkcpio.py" "$tmp/initramfs.cpio" < "$tmp/list" ||
		die "mkcpio.py failed"
	rm -rf "$dir"
	mv "$tmp" "$dir"
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
