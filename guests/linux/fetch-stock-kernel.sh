#!/usr/bin/env bash
# Fetch Debian's stock cloud kernel (linux-image-cloud-amd64) for the slow
# test tier and extract, next to its bzImage and System.map, the
# uncompressed ELF vmlinux inside it: booting that through its PVH note skips
# the kernel's own decompression, which is emulated (~75 s) on hosts without
# VMX/SVM. Debian's System.map is a stub pointing at the -dbg package, so
# the real one is made from that package's vmlinux (nm -n), for kvmscope's
# --symbols. Nothing here is committed: the files are cached in
# ~/.cache/kvmscope/stock/<package>_<version>/.
#
# usage: guests/linux/fetch-stock-kernel.sh   (last stdout line: the dir)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${KVMSCOPE_CACHE:-$HOME/.cache/kvmscope}/stock

need=()
command -v lz4 >/dev/null || need+=(lz4)
command -v dpkg-deb >/dev/null || need+=(dpkg)
command -v nm >/dev/null || need+=(binutils)
if [ ${#need[@]} -gt 0 ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
	awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
if [ -z "$pkg" ]; then
	echo "fetch-stock-kernel: linux-image-cloud-amd64 is unknown to apt: run apt-get update" >&2
	exit 1
fi
ver=$(apt-cache policy "$pkg" | awk '/Candidate:/ { print $2 }')
dir=$cache/${pkg}_$ver
if [ -s "$dir/vmlinux" ] && [ -s "$dir/bzImage" ] && [ -s "$dir/System.map" ]; then
	echo "$dir"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-stock-kernel: downloading $pkg $ver" >&2
(cd "$tmp" && apt-get download "$pkg" 2>/dev/null) ||
	(cd "$tmp" && apt-get download "$pkg")
dpkg-deb -x "$tmp"/*.deb "$tmp/x"
mkdir -p "$dir.tmp"
cp "$tmp"/x/boot/vmlinuz-* "$dir.tmp/bzImage"
cp "$tmp"/x/boot/System.map-* "$dir.tmp/System.map"
cp "$tmp"/x/boot/config-* "$dir.tmp/config"
python3 "$here/extract-vmlinux.py" "$dir.tmp/bzImage" "$dir.tmp/vmlinux"

# The symbols: only the one file is taken out of the 283 MB -dbg package.
echo "fetch-stock-kernel: downloading $pkg-dbg for its symbol table" >&2
(cd "$tmp" && apt-get download "$pkg-dbg" 2>/dev/null) ||
	(cd "$tmp" && apt-get download "$pkg-dbg")
dbg=./usr/lib/debug/boot/vmlinux-${pkg#linux-image-}
dpkg-deb --fsys-tarfile "$tmp/${pkg}-dbg_"*.deb | tar -x -C "$tmp" "$dbg"
nm -n "$tmp/$dbg" > "$dir.tmp/System.map"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "$dir"
