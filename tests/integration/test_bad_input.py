"""Bad user input: one clear line, non-zero status, nothing half-written.

Each case checks the whole line: it names the problem and the fix, and a
message that changes must change here too."""
import struct

import pytest

from conftest import TESTKERNEL, run_kvmscope


def one_error_line(r):
    lines = [l for l in r.err.splitlines() if l.strip()]
    assert len(lines) == 1, r
    assert lines[0].startswith("kvmscope: "), r
    return lines[0]


def test_text_file_as_kernel(tmp_path):
    k = tmp_path / "notes.txt"
    k.write_text("this is not a kernel\n" * 20)
    out = tmp_path / "serial.log"
    r = run_kvmscope("--kernel", k, "--serial", "file:%s" % out)
    assert r.status == 2, r
    assert one_error_line(r) == (
        "kvmscope: %s looks like a text file, not a kernel: kvmscope boots a "
        "bzImage, an ELF vmlinux with a PVH note (CONFIG_PVH=y) or a "
        "multiboot v1 kernel" % k)
    assert not out.exists()  # nothing written half-way


def make_bzimage_header(protocol=0x020f, setup_sects=4, total=0x1000):
    img = bytearray(total)
    img[0x1f1] = setup_sects
    struct.pack_into("<H", img, 0x1fe, 0xAA55)
    img[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", img, 0x206, protocol)
    img[0x201] = 0x6a  # jump: header end
    img[0x211] = 0x01  # loadflags: LOADED_HIGH (a bzImage)
    struct.pack_into("<H", img, 0x236, 0x3)  # xloadflags: KERNEL_64 | ...
    struct.pack_into("<I", img, 0x260, 16 << 20)  # init_size
    struct.pack_into("<I", img, 0x238, 2048)  # cmdline_size
    return img


def test_truncated_bzimage(tmp_path):
    k = tmp_path / "bzImage"
    k.write_bytes(make_bzimage_header(setup_sects=30, total=0x1000))
    r = run_kvmscope("--kernel", k)
    assert r.status == 2, r
    assert one_error_line(r) == (
        "kvmscope: bzImage setup code (30 sectors) ends at byte 15872 and the "
        "file has 4096 bytes, so no kernel follows it: the file is truncated")


def test_too_old_bzimage_protocol_names_version(tmp_path):
    k = tmp_path / "bzImage"
    k.write_bytes(make_bzimage_header(protocol=0x0204, total=0x10000))
    r = run_kvmscope("--kernel", k)
    assert r.status == 2, r
    assert one_error_line(r) == (
        "kvmscope: bzImage boot protocol 2.04 is too old: kvmscope needs "
        "2.12+ (Linux 3.8 or later) for the 64-bit entry")


@pytest.mark.parametrize("args,message", [
    (["--mem", "1M"], "--mem 1M is too small: kvmscope needs at least 16 M"),
    (["--mem", "12Q"], "--mem '12Q' is not a size: use a number with K, M "
     "or G, e.g. --mem 512M"),
    (["--mem", "2T"], "--mem 2T is too large: at most 1024G"),
    (["--cpus", "0"], "--cpus '0' is invalid: give a number from 1 to 255"),
    (["--cpus", "x"], "--cpus 'x' is invalid: give a number from 1 to 255"),
    (["--cpus", "100000"],
     "--cpus '100000' is invalid: give a number from 1 to 255"),
    (["--serial", "tcp:1"], "--serial 'tcp:1' is not understood: use stdio, "
     "none or file:PATH"),
    (["--cpu-template", "fast"], "--cpu-template 'fast' is unknown: use one "
     "of auto, host, pvm-safe"),
    (["--cpu-features", "clwb"], "--cpu-features item 'clwb' is invalid: "
     "write +name to add a feature or -name to remove it"),
    (["--cpu-features", "+clwb,"], "--cpu-features ends with a comma: "
     "remove it"),
    (["--cpu-features", "+avx512"], "--cpu-features: unknown feature "
     "'avx512': use one of sse3 pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 "
     "x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand "
     "clflush fsgsbase bmi1 avx2 smep bmi2 erms invpcid rdseed adx smap "
     "clflushopt clwb sha_ni umip pku rdpid fsrm spec_ctrl intel_stibp "
     "flush_l1d arch_capabilities abm rdtscp rdpru"),
    (["--bogus"], "unknown option '--bogus' (see kvmscope run --help)"),
    (["--kvm-device", "/nonexistent/kvm"], "/nonexistent/kvm does not exist: "
     "load the KVM module (modprobe kvm_intel or kvm_amd) and enable "
     "virtualization in the firmware"),
])
def test_bad_options(args, message):
    r = run_kvmscope("--kernel", TESTKERNEL, *args)
    assert r.status == 2, r
    assert one_error_line(r) == "kvmscope: " + message


def test_missing_kernel_file(tmp_path):
    r = run_kvmscope("--kernel", tmp_path / "nope")
    assert r.status == 2, r
    assert one_error_line(r) == (
        "kvmscope: cannot open kernel '%s': No such file or directory" %
        (tmp_path / "nope"))


def test_no_kernel_option():
    r = run_kvmscope()
    assert r.status == 2, r
    assert one_error_line(r) == (
        "kvmscope: no kernel given: use kvmscope run --kernel FILE "
        "(see --help)")


def test_help_lists_every_option_and_status():
    r = run_kvmscope("--help")
    assert r.status == 0
    for opt in ("--kernel", "--initrd", "--append", "--mem", "--cpus",
                "--serial", "--cpu-template", "--cpu-features",
                "--kvm-device", "--stats",
                "--verbose", "Ctrl-A x"):
        assert opt in r.out, opt
    for status in ("0 ", "2 ", "4 ", "6 ", "8 ", "10 ", "12 ", "14 ", "16 ",
                   "18 ", "130 "):
        assert "\n  " + status in r.out, status
