# kvmscope: the build is Meson + Ninja; this Makefile is the front door.
#   make             build build/kvmscope and the test guest
#   make check       unit tests (under ASan+UBSan, in build-asan/), fuzz smoke
#                    runs, integration tests on /dev/kvm
#   make demo        build the default Linux guest (cached) and boot it to a
#                    shell on this terminal; poweroff ends it with status 0
#   make check-slow  the slow tier: a stock Debian cloud kernel
#   make check-data-safety  virtio-blk's SIGKILL tests RUNS times (20)
#   make guest       build the default Linux guest only
#   make fuzz        build the libFuzzer targets (clang) in build-fuzz/
#   make bench       run the benchmarks in bench/
#   make deps        install the Debian packages all of this needs
#                    (scripts/install-deps.sh; every target above runs it,
#                    and it does nothing when they are all present)

BUILD ?= build
FUZZ_BUILD ?= build-fuzz
ASAN_BUILD ?= build-asan
PYTHON ?= /usr/bin/python3
FUZZ_SECONDS ?= 10

.PHONY: all build check check-unit check-fuzz check-integration demo fuzz bench clean format
.PHONY: guest check-slow check-data-safety deps

all: build

# One dpkg-query call when everything is installed.
deps:
	scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

check: build check-unit check-fuzz check-integration

# The unit suite runs in its own AddressSanitizer + UndefinedBehavior-
# Sanitizer build (the integration tests keep the plain, faster binary);
# any report fails the test.
$(ASAN_BUILD)/build.ninja: | deps
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined \
		-Dc_args=-fno-sanitize-recover=undefined

check-unit: deps $(ASAN_BUILD)/build.ninja
	meson test -C $(ASAN_BUILD) --suite unit --print-errorlogs

$(FUZZ_BUILD)/build.ninja: | deps
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fsanitize=fuzzer-no-link

fuzz: deps $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD)

# A short run of every fuzz target over its seed corpus: catches crashes
# that the seeds or a few seconds of mutation reach.
check-fuzz: fuzz
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# The Linux boot tests need the default guest: built once, then cached.
check-integration: build guest
	$(PYTHON) -m pytest -q tests/integration

# The stock-distro-kernel tier: minutes of emulated boot on hosts without
# VMX/SVM, so outside `make check`.
check-slow: build guest
	$(PYTHON) -m pytest -q -s -rA tests/slow

RUNS ?= 20
check-data-safety: build guest
	PYTHON=$(PYTHON) tests/data-safety.sh $(RUNS)

DEMO_KERNEL = $$(guests/linux/build-kernel.sh | tail -n 1)
DEMO_INITRD = $$(guests/linux/build-initramfs.sh | tail -n 1)
DEMO_APPEND = console=ttyS0 panic=-1 quiet rodata=off

# The guest's first command (kvmscope.run=, base64): eth0 up by DHCP from
# --net user's slirp (busybox udhcpc with a script written here), then the
# console shell; its exit powers off.
export DEMO_RUN = printf '\#!/bin/sh\n[ "$$1" = bound ] || exit 0\nip addr add $$ip/$$mask dev $$interface\nip route add default via $$router\n' > /tmp/dhcp.sh; chmod +x /tmp/dhcp.sh; ip link set eth0 up; udhcpc -i eth0 -s /tmp/dhcp.sh -q -n -t 5 -T 2 >/dev/null 2>&1 && echo "eth0: $$(ip -4 -o addr show dev eth0 | sed -n "s/.*inet \([0-9./]*\).*/\1/p") by DHCP; the host is 10.0.2.2"; exec setsid cttyhack sh -l

demo: build guest
	@echo "Booting the default guest; 'poweroff' ends it, Ctrl-A x quits kvmscope."
	@echo "Its disk: mkdir /mnt && mount /dev/vda /mnt (a fresh copy of build-rootfs.sh's image)."
	@echo "Its network: --net user (eth0 by DHCP; wget http://10.0.2.2:PORT/ reaches the host's 127.0.0.1)."
	cp $$(guests/linux/build-rootfs.sh | tail -n 1) $(BUILD)/demo-disk.ext4
	$(BUILD)/kvmscope run --kernel $(DEMO_KERNEL) --initrd $(DEMO_INITRD) \
		--append "$(DEMO_APPEND) kvmscope.run=$$(printf '%s' "$$DEMO_RUN" | base64 -w0)" \
		--mem 256M --cpus 2 \
		--disk $(BUILD)/demo-disk.ext4 --net user

# The default Linux guest (kernel + initramfs, built from Debian packages and
# cached under ~/.cache/kvmscope; see guests/linux/README.md).
guest: deps
	guests/linux/build-kernel.sh && guests/linux/build-initramfs.sh && \
		guests/linux/build-rootfs.sh

bench: build
	bench/run.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD) $(ASAN_BUILD)
