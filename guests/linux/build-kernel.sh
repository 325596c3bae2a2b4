#!/usr/bin/env bash
# Build kvmscope's default Linux guest kernel from Debian's linux-source-6.1.
#
#   guests/linux/build-kernel.sh [OUTDIR]
#
# Result: an uncompressed ELF vmlinux (booted through its PVH note) with
# System.map and .config, cached in
#   ${KVMSCOPE_CACHE:-~/.cache/kvmscope}/linux/<key>/
# where <key> hashes kernel.config, patches/*.patch, this script and the
# linux-source package version; linux/current points at the last one used.
# With OUTDIR the three files are also copied there.  The last line on
# stdout is the path of vmlinux; everything else goes to stderr.
#
# >>> not in the cache key: about the progress display
# The build shows its progress, not kbuild's ~1,500 lines: one updating line
# "build-kernel: [ 412/1543] 26%" when stderr is a terminal, a line per 10%
# otherwise.  The total is the number of steps of the last full build
# ($cache/linux/build-steps), else ESTIMATED_STEPS below.  make's whole
# output is in $cache/linux-build/<key>/build.log (and build.log next to
# vmlinux); on failure its path and last 20 lines are printed.
# <<< not in the cache key
#
# The cache key covers this script except the regions between
# "# >>> not in the cache key" and "# <<<" lines: how progress is shown
# does not change the kernel, so changing it does not rebuild one.
#
# Environment: KVMSCOPE_CACHE (cache root), JOBS (make -j, default nproc),
# KVMSCOPE_KEEP_OLD_TREES=1 keeps build trees of older keys,
# KVMSCOPE_EXTRA_PATCHES=DIR applies DIR/*.patch after patches/ (a variant
# with its own key, e.g. bench-patches/ for bench/boot; `current` is left
# pointing at the default guest), KVMSCOPE_KERNEL_VARIANT=NAME merges
# variants/NAME.config after kernel.config (its lines win) and also builds
# a bzImage, which is then the last line printed (own key; `current` is
# left alone): variants/kaslr.config is the relocatable, LZ4-compressed,
# KASLR bzImage the KASLR tests boot.
set -euo pipefail

SRCPKG=linux-source-6.1
TARBALL=/usr/src/linux-source-6.1.tar.xz
TOPDIR=linux-source-6.1
BUILD_DEPS=(build-essential bc bison flex libelf-dev libssl-dev cpio xz-utils)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"
fragment="$here/kernel.config"
variant=${KVMSCOPE_KERNEL_VARIANT:-}
variant_fragment=
[ -z "$variant" ] || variant_fragment="$here/variants/$variant.config"
cache=${KVMSCOPE_CACHE:-$HOME/.cache/kvmscope}
outdir=${1:-}

say() { printf 'build-kernel: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

pkg_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# Version of the kernel source: the installed package, else apt's candidate
# (so a cached build is found without installing anything).
source_version() {
	if pkg_installed "$SRCPKG"; then
		dpkg-query -W -f='${Version}' "$SRCPKG"
	else
		apt-cache policy "$SRCPKG" 2>/dev/null |
			awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }'
	fi
}

compute_key() {
	local v=$1
	{
		echo "linux-source $v"
		echo "fragment"; cat "$fragment"
		[ -z "$variant" ] || { echo "variant $variant"; cat "$variant_fragment"; }
		echo "script"
		sed '/^# >>> not in the cache key/,/^# <<</d' "$self"
		for p in "$here"/patches/*.patch ${KVMSCOPE_EXTRA_PATCHES:+"$KVMSCOPE_EXTRA_PATCHES"/*.patch}; do
			[ -e "$p" ] || continue
			echo "patch $(basename "$p")"; cat "$p"
		done
	} | sha256sum | cut -c1-16
}

publish() {
	local dir=$1
	[ -n "${KVMSCOPE_EXTRA_PATCHES:-}" ] || [ -n "$variant" ] ||
		ln -sfn "$(basename "$dir")" "$cache/linux/current"
	if [ -n "$outdir" ]; then
		mkdir -p "$outdir"
		for f in vmlinux System.map config ${variant:+bzImage}; do
			cp -f "$dir/$f" "$outdir/$f"
		done
		dir=$(cd "$outdir" && pwd)
	fi
	if [ -n "$variant" ]; then
		echo "$dir/bzImage"
	else
		echo "$dir/vmlinux"
	fi
}

[ -f "$fragment" ] || die "missing $fragment"
[ -z "$variant" ] || [ -f "$variant_fragment" ] ||
	die "no kernel variant '$variant' (no $variant_fragment; the variants are: $(cd "$here/variants" && ls ./*.config | sed 's#^\./##; s#\.config$##' | tr '\n' ' '))"

# --- fast path: already built --------------------------------------------
version=$(source_version)
[ -n "$version" ] || die "no $SRCPKG package known to apt (apt-get update?)"
key=$(compute_key "$version")
if [ -f "$cache/linux/$key/vmlinux" ]; then
	publish "$cache/linux/$key"
	exit 0
fi

# --- install what is missing -------------------------------------------------
missing=()
for p in "$SRCPKG" "${BUILD_DEPS[@]}"; do
	pkg_installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "installing ${missing[*]}"
	sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
		die "apt-get install ${missing[*]} failed"
	version=$(dpkg-query -W -f='${Version}' "$SRCPKG")
	key=$(compute_key "$version")
	if [ -f "$cache/linux/$key/vmlinux" ]; then
		publish "$cache/linux/$key"
		exit 0
	fi
fi
[ -f "$TARBALL" ] || die "$TARBALL not found (is $SRCPKG installed?)"

mkdir -p "$cache/linux" "$cache/linux-build"
exec 9>"$cache/linux-build/lock"
flock 9 || die "cannot lock $cache/linux-build/lock"
# Another run may have finished the same build while we waited.
if [ -f "$cache/linux/$key/vmlinux" ]; then
	publish "$cache/linux/$key"
	exit 0
fi

tree="$cache/linux-build/$key/$TOPDIR"
jobs=${JOBS:-$(nproc)}
mk=(make -C "$tree" ARCH=x86_64 -j"$jobs"
    KBUILD_BUILD_USER=kvmscope KBUILD_BUILD_HOST=kvmscope)

# --- source tree: extract, patch, configure (skipped if done before) ---------
if [ ! -f "$tree/.kvmscope-configured" ]; then
	rm -rf "$cache/linux-build/$key"
	mkdir -p "$cache/linux-build/$key"
	say "extracting $TARBALL ($SRCPKG $version)"
	tar -C "$cache/linux-build/$key" -xf "$TARBALL"
	[ -d "$tree" ] || die "$TARBALL has no $TOPDIR/"
	for p in "$here"/patches/*.patch ${KVMSCOPE_EXTRA_PATCHES:+"$KVMSCOPE_EXTRA_PATCHES"/*.patch}; do
		[ -e "$p" ] || continue
		say "applying $(basename "$p")"
		patch -d "$tree" -p1 --forward --batch --quiet < "$p" >&2 ||
			die "patch $(basename "$p") does not apply to $SRCPKG $version"
	done

	say "configuring: tinyconfig + $(basename "$fragment")${variant:+ + variants/$variant.config}"
	log="$cache/linux-build/$key/config.log"
	# One fragment: kernel.config, then the variant's lines, which win.
	merged="$cache/linux-build/$key/fragment.config"
	cat "$fragment" ${variant_fragment:+"$variant_fragment"} > "$merged"
	# merge_config.sh -n: symbols the fragment does not name get their
	# allnoconfig value, not their default, so the fragment is the whole
	# story (tinyconfig itself is allnoconfig + kernel/configs/tiny.config).
	{ "${mk[@]}" tinyconfig &&
	  (cd "$tree" && ARCH=x86_64 scripts/kconfig/merge_config.sh -n \
		.config "$merged") &&
	  "${mk[@]}" olddefconfig; } >"$log" 2>&1 ||
		{ cat "$log" >&2; die "configuration failed (log: $log)"; }

	# Kconfig silently drops what it cannot satisfy: check every line
	# (for a symbol given twice, the variant's line).
	bad=()
	declare -A last=()
	while IFS= read -r line; do
		if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)= ]] ||
		   [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			last[${BASH_REMATCH[1]}]=$line
		fi
	done < "$merged"
	for line in "${last[@]}"; do
		if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
			grep -qxF "$line" "$tree/.config" ||
				bad+=("$line (got: $(grep -E "^(# )?${BASH_REMATCH[1]}[= ]" "$tree/.config" || echo undefined))")
		elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			! grep -q "^${BASH_REMATCH[1]}=" "$tree/.config" ||
				bad+=("$line (got: $(grep "^${BASH_REMATCH[1]}=" "$tree/.config"))")
		fi
	done
	if [ ${#bad[@]} -gt 0 ]; then
		say "these kernel.config settings did not survive Kconfig (unmet dependencies?):"
		printf '  %s\n' "${bad[@]}" >&2
		die "fix guests/linux/kernel.config${variant:+ or variants/$variant.config}"
	fi
	touch "$tree/.kvmscope-configured"
else
	say "resuming the build in $tree"
fi

# --- build ---------------------------------------------------------------------
# >>> not in the cache key: progress display only
# kbuild's quiet output: one "  CC      path.o"-style line per step.
STEP_RE='^  [A-Z][A-Z0-9_]* '
# Steps of a full build of linux-source-6.1 6.1.192 with kernel.config.
ESTIMATED_STEPS=1543

# progress TOTAL LOG < make output: the output goes to LOG, a count of its
# steps to stderr.
progress() {
	local total=$1 log=$2 n=0 pct shown=-1 tty=0 line w
	[ -t 2 ] && tty=1
	w=${#total}
	exec 8>"$log"
	while IFS= read -r line; do
		printf '%s\n' "$line" >&8
		[[ $line =~ $STEP_RE ]] || continue
		n=$((n + 1))
		[ "$n" -lt "$total" ] || total=$((n + 1))
		pct=$((n * 100 / total))
		if [ "$tty" = 1 ]; then
			[ "$pct" != "$shown" ] || [ $((n % 8)) = 0 ] || continue
			printf '\rbuild-kernel: [%*d/%d] %d%%' "$w" "$n" "$total" "$pct" >&2
			shown=$pct
		elif [ $((pct / 10)) -gt $((shown / 10)) ] && [ "$pct" -ge 10 ]; then
			printf 'build-kernel: [%*d/%d] %d%%\n' "$w" "$n" "$total" "$pct" >&2
			shown=$pct
		fi
	done
	exec 8>&-
	[ "$tty" = 0 ] || printf '\r\033[K' >&2
}

steps_file="$cache/linux/build-steps${variant:+-$variant}"
total=$ESTIMATED_STEPS
if [ -r "$steps_file" ]; then
	read -r t < "$steps_file" || true
	[[ ${t:-} =~ ^[1-9][0-9]*$ ]] && total=$t
fi
log="$cache/linux-build/$key/build.log"
# Only a build from scratch says how many steps the next one will have.
full=1
[ ! -e "$tree/init/main.o" ] || full=0
say "building vmlinux with make -j$jobs (about 9 minutes on 2 idle cores; log: $log)"
start=$(date +%s)
set +e
"${mk[@]}" vmlinux ${variant:+bzImage} </dev/null 2>&1 | progress "$total" "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" != 0 ]; then
	say "kernel build failed (make exit status $status); the last lines of $log:"
	tail -n 20 "$log" >&2
	die "kernel build failed: full log in $log (tree kept in $tree)"
fi
steps=$(grep -cE "$STEP_RE" "$log" || true)
elapsed=$(( $(date +%s) - start ))
say "[$steps/$steps] 100%"
say "vmlinux built in $((elapsed / 60))m$((elapsed % 60))s"
# <<< not in the cache key

# --- publish into the cache --------------------------------------------------------
tmp="$cache/linux/.$key.tmp"
rm -rf "$tmp"
mkdir -p "$tmp"
cp "$tree/vmlinux" "$tree/System.map" "$tmp/"
[ -z "$variant" ] || cp "$tree/arch/x86/boot/bzImage" "$tmp/"
cp "$tree/.config" "$tmp/config"
# >>> not in the cache key: the log and the step count for the next progress
cp "$log" "$tmp/build.log"
[ "$full" = 0 ] || echo "$steps" > "$steps_file"
# <<< not in the cache key
{
	echo "source: $SRCPKG $version"
	echo "patches: $(cd "$here/patches" 2>/dev/null && ls ./*.patch 2>/dev/null | tr '\n' ' ')"
	echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) in ${elapsed}s with make -j$jobs"
	echo "compiler: $(gcc --version | head -1)"
} > "$tmp/info"
rm -rf "$cache/linux/$key"
mv "$tmp" "$cache/linux/$key"
publish "$cache/linux/$key"

# Keep the newest build tree for incremental rebuilds (make -C <tree>
# vmlinux relinks in seconds after a one-file change), drop older ones.
if [ "${KVMSCOPE_KEEP_OLD_TREES:-0}" != 1 ]; then
	for d in "$cache"/linux-build/*/; do
		[ "$(basename "$d")" = "$key" ] || rm -rf "$d"
	done
fi
