"""Bad user input: one clear line, non-zero status, nothing half-written."""
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
    line = one_error_line(r)
    assert "notes.txt" in line or "kernel" in line
    assert "bzImage" in line and "multiboot" in line, line
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
    line = one_error_line(r)
    assert "bzImage" in line, line


def test_too_old_bzimage_protocol_names_version(tmp_path):
    k = tmp_path / "bzImage"
    k.write_bytes(make_bzimage_header(protocol=0x0204, total=0x10000))
    r = run_kvmscope("--kernel", k)
    assert r.status == 2, r
    line = one_error_line(r)
    assert "2.04" in line, line


@pytest.mark.parametrize("args,needle", [
    (["--mem", "1M"], "--mem"),
    (["--mem", "12Q"], "--mem"),
    (["--mem", "2T"], "--mem"),
    (["--cpus", "0"], "--cpus"),
    (["--cpus", "x"], "--cpus"),
    (["--cpus", "100000"], "--cpus"),
    (["--serial", "tcp:1"], "--serial"),
    (["--cpu-template", "fast"], "--cpu-template"),
    (["--bogus"], "unknown option"),
    (["--kvm-device", "/nonexistent/kvm"], "/nonexistent/kvm"),
])
def test_bad_options(args, needle):
    r = run_kvmscope("--kernel", TESTKERNEL, *args)
    assert r.status == 2, r
    assert needle in one_error_line(r)


def test_missing_kernel_file(tmp_path):
    r = run_kvmscope("--kernel", tmp_path / "nope")
    assert r.status == 2, r
    assert "nope" in one_error_line(r)


def test_no_kernel_option():
    r = run_kvmscope()
    assert r.status == 2, r
    assert "--kernel" in one_error_line(r)


def test_help_lists_every_option_and_status():
    r = run_kvmscope("--help")
    assert r.status == 0
    for opt in ("--kernel", "--initrd", "--append", "--mem", "--cpus",
                "--serial", "--cpu-template", "--kvm-device", "--stats",
                "--verbose", "Ctrl-A x"):
        assert opt in r.out, opt
    for status in ("0 ", "2 ", "4 ", "6 ", "8 ", "10 ", "12 ", "14 ", "16 ",
                   "130 "):
        assert "\n  " + status in r.out, status
