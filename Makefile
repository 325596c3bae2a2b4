# kvmscope: the build is Meson + Ninja; this Makefile is the front door.
#   make             build build/kvmscope and the test guest
#   make check       unit tests, fuzz smoke runs, integration tests on /dev/kvm
#   make demo        boot the default demo guest
#   make fuzz        build the libFuzzer targets (clang) in build-fuzz/
#   make bench       run the benchmarks in bench/

BUILD ?= build
FUZZ_BUILD ?= build-fuzz
PYTHON ?= /usr/bin/python3
FUZZ_SECONDS ?= 10

.PHONY: all build check check-unit check-fuzz check-integration demo fuzz bench clean format
.PHONY: guest

all: build

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

check: build check-unit check-fuzz check-integration

check-unit: build
	meson test -C $(BUILD) --suite unit --print-errorlogs

$(FUZZ_BUILD)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fsanitize=fuzzer-no-link

fuzz: $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD)

# A short run of every fuzz target over its seed corpus: catches crashes
# that the seeds or a few seconds of mutation reach.
check-fuzz: fuzz
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

check-integration: build
	$(PYTHON) -m pytest -q tests/integration

demo: build
	$(BUILD)/kvmscope run --kernel $(BUILD)/guests/testkernel/testkernel.elf --append "hello"

# The default Linux guest (kernel + initramfs, built from Debian packages and
# cached under ~/.cache/kvmscope; see guests/linux/README.md).
guest:
	guests/linux/build-kernel.sh && guests/linux/build-initramfs.sh

bench: build
	bench/run.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)
