#!/usr/bin/env bash
# Install the Debian 12 packages kvmscope's build, guests and tests need.
# This is the one list: the Makefile runs this script before `meson setup`,
# .ci/run runs it, and README.md's dependency list is generated from it
# (`--markdown`; the unit test tests/docs/check_readme_deps.py fails when
# the two disagree).
#
#   scripts/install-deps.sh              install what is missing (as root,
#                                        or through sudo), else do nothing
#   scripts/install-deps.sh --check      exit 1 naming what is missing
#   scripts/install-deps.sh --list       the package names, one line
#   scripts/install-deps.sh --markdown   the list with reasons, for README.md
#
# With everything present this is one dpkg-query call.
set -euo pipefail

# package<TAB>why.  Keep each reason short: it is printed when installing
# and becomes README.md's dependency list.
PACKAGES="\
build-essential	build: gcc, make and the C library headers
meson	build: the build system
ninja-build	build: the build tool meson drives
pkg-config	build: finds the libraries below
libjansson-dev	build: JSON of the control socket (QMP)
libzydis-dev	build: x86 instruction decoder (instructions named in diagnostics)
libelf-dev	build: guest symbols (elfutils); guest kernel build: objtool
libdw-dev	build: guest symbols with DWARF line numbers (elfutils)
zlib1g-dev	build: libdw is linked statically (start-up time), with zlib
liblzma-dev	build: libdw is linked statically, with liblzma
libbz2-dev	build: libdw is linked statically, with libbz2
liburing-dev	build: virtio-blk's asynchronous disk I/O (io_uring)
libslirp-dev	build: user-mode networking (--net user)
libglib2.0-dev	build: slirp's pkg-config file requires glib-2.0's
libbpf-dev	build: parses the guest kernel's BTF (struct layouts) read from guest RAM
binutils	build: objcopy for the test guest; nm for the slow tier's symbols
linux-source-6.1	guest kernel build: the default Linux guest's source
bc	guest kernel build: kernel/time constants
bison	guest kernel build: Kconfig parser
flex	guest kernel build: Kconfig lexer
libssl-dev	guest kernel build: scripts/sign-file and certificate tools
cpio	guest kernel build: kernel headers archive
xz-utils	guest kernel build: unpacks linux-source's .tar.xz
patch	guest kernel build: applies guests/linux/patches
dwarves	guest kernel build: pahole, which turns the kernel's DWARF into BTF
busybox-static	guest initramfs: the shell and tools of the default guest
pciutils	guest disk: lspci (with its libraries) on the demo disk, for chroot /mnt lspci in the guest
e2fsprogs	guest disk: mke2fs -d builds the ext4 demo disk (build-rootfs.sh); the tests read it back with e2fsck and debugfs
python3	guest initramfs (mkcpio.py), layering and docs checks, test runner
libcmocka-dev	unit tests: the test framework
groff-base	unit tests: checks that the man page renders without warnings
clang	fuzz: libFuzzer targets (make fuzz, make check)
libclang-rt-14-dev	fuzz: clang's libFuzzer and sanitizer runtimes
python3-pytest	integration tests: the test runner
gdb	integration tests: the gdb stub against real gdb
crash	integration tests: opens kvmscope's guest kernel dumps
python3-drgn	integration tests: opens kvmscope's guest kernel dumps and live guests
qemu-system-x86	integration tests: cross-checks guests against QEMU; benchmarks
iproute2	integration tests and bench/virtio: network namespaces and TAP devices (ip)
chromium	integration tests: renders the flame graph and stats report SVGs headless
socat	README examples: a raw client for the control socket
linux-perf	bench/trace-kvm: perf kvm stat, the cross-check of trace-kvm
lz4	slow tier: unpacks Debian's stock cloud kernel
zstd	slow tier: unpacks Debian's stock cloud kernel
"

me=install-deps

names() { printf '%s' "$PACKAGES" | cut -f1 | tr '\n' ' ' | sed 's/ $//'; }

# The packages not installed, one dpkg-query call for all of them.
missing() {
	local all have p
	all=$(names)
	# Unknown packages make dpkg-query exit 1 and print nothing for them:
	# they count as missing.
	# shellcheck disable=SC2086
	have=" $(dpkg-query -W -f='${Package}=${db:Status-Abbrev}\n' $all 2>/dev/null |
		awk -F= '$2 ~ /^ii/ { printf "%s ", $1 }')"
	for p in $all; do
		[[ $have == *" $p "* ]] || printf '%s\n' "$p"
	done
}

why() { printf '%s' "$PACKAGES" | awk -F'\t' -v p="$1" '$1 == p { print $2 }'; }

case ${1:-} in
--list)
	names
	echo
	exit 0
	;;
--markdown)
	printf '%s' "$PACKAGES" | awk -F'\t' '{ printf "- `%s`: %s\n", $1, $2 }'
	exit 0
	;;
--check | "") ;;
-h | --help)
	sed -n '2,15s/^# \{0,1\}//p' "$0"
	exit 0
	;;
*)
	echo "$me: unknown option '$1' (use --check, --list or --markdown)" >&2
	exit 2
	;;
esac

need=$(missing | tr '\n' ' ' | sed 's/ $//')
[ -n "$need" ] || exit 0

if [ "${1:-}" = --check ]; then
	echo "$me: missing: $need (run scripts/install-deps.sh)" >&2
	exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
		sudo=(sudo -n)
	elif command -v sudo >/dev/null && [ -t 0 ]; then
		sudo=(sudo) # may ask for the password on this terminal
	else
		echo "$me: not root and sudo is unavailable; run as root or install: $need" >&2
		exit 1
	fi
fi

echo "$me: installing:" >&2
for p in $need; do
	printf '  %-20s %s\n' "$p" "$(why "$p")" >&2
done
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 ||
	{ echo "$me: apt-get update failed; then install: $need" >&2; exit 1; }
# shellcheck disable=SC2086
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	--no-install-recommends $need >&2 ||
	{ echo "$me: apt-get install failed for: $need" >&2; exit 1; }
still=$(missing | tr '\n' ' ' | sed 's/ $//')
if [ -n "$still" ]; then
	echo "$me: still missing after apt-get install: $still" >&2
	exit 1
fi
echo "$me: done" >&2
