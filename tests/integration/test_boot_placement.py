"""Boot data goes where the image is not (issue #12 item 1).

A multiboot ELF kernel (boot_report.S) linked at 0x1000, 0x8000, 1 MiB and
near the top of RAM boots on /dev/kvm and prints what it was given: the
MBI, the command line, the memory map, the module list and loader name,
and the RSDP it finds by scanning the BIOS area. The test checks where
each piece landed: not in page 0, not over the image, in conventional
memory below 1 MiB, the module on the first page after the image.
"""
import re
import subprocess

import pytest

from conftest import ROOT, run_kvmscope

SOURCE = ROOT / "tests" / "integration" / "boot_report.S"
MEM = 256 << 20
EBDA = 0x9fc00
PAGE = 0x1000


def build(tmp_path, addr):
    elf = tmp_path / ("report-%x.elf" % addr)
    # -N: one RWX segment (code, data, bss), like small real-mode kernels.
    subprocess.run(["gcc", "-m32", "-nostdlib", "-static", "-fno-pic",
                    "-no-pie", "-Wl,-N", "-Wl,--no-warn-rwx-segments",
                    "-Wl,-Ttext=0x%x" % addr, "-Wl,--build-id=none",
                    "-o", str(elf), str(SOURCE)], check=True)
    return elf


def report(out):
    """The kernel's lines as {name: int or (int, text)}, mmap and mods."""
    r = {"mmap_entries": [], "mods_list": []}
    for line in out.splitlines():
        if line.startswith("mmap: "):
            r["mmap_entries"].append(tuple(
                int(v, 16) for v in re.findall(r"=([0-9a-f]+)", line)))
        elif line.startswith("mod: "):
            r["mods_list"].append(tuple(
                int(v, 16) for v in re.findall(r"=([0-9a-f]+)", line)))
        else:
            for k, v in re.findall(r"(\w+)=([0-9a-f]{8})", line):
                r[k] = int(v, 16)
            m = re.match(r"(cmdline|loader)=[0-9a-f]{8} '(.*)'$", line)
            if m:
                r[m.group(1) + "_text"] = m.group(2)
    return r


@pytest.mark.parametrize("addr", [0x1000, 0x8000, 0x100000, MEM - 0x100000])
def test_multiboot_kernel_linked_anywhere_gets_boot_data_off_its_image(
        tmp_path, addr):
    kernel = build(tmp_path, addr)
    module = tmp_path / "module.bin"
    module.write_bytes(b"MOD1" + bytes(3000))
    r = run_kvmscope("--kernel", kernel, "--append", "placed ok",
                     "--initrd", module)
    assert r.status == 7, r  # debug-exit 3: EAX and the bss were right
    assert "boot report done" in r.out, r
    rep = report(r.out)
    start, end = rep["image"], rep["end"]
    assert start == addr, r

    def outside_image_low(a, size):
        assert a >= PAGE, (hex(a), r)              # not page 0
        assert a + size <= EBDA, (hex(a), r)       # conventional memory
        assert a + size <= start or a >= end, (hex(a), r)  # not the image

    outside_image_low(rep["mbi"], 116)
    assert rep["flags"] == 0x24d
    assert rep["mem_lower"] == 639 and rep["mem_upper"] == MEM // 1024 - 1024
    outside_image_low(rep["cmdline"], len(rep["cmdline_text"]) + 1)
    assert rep["cmdline_text"] == "%s placed ok" % kernel
    outside_image_low(rep["mmap"], rep["length"])
    assert rep["mmap_entries"] == [
        (0, EBDA, 1), (EBDA, 0x400, 2), (0xe0000, 0x20000, 2),
        (0x100000, MEM - 0x100000, 1)], r
    outside_image_low(rep["mods"], 16)
    assert rep["count"] == 1
    outside_image_low(rep["loader"], 9)
    assert rep["loader_text"] == "kvmscope"
    # The module on the first page after the image, as QEMU places it.
    (mstart, mend, mstring, first), = rep["mods_list"]
    assert mstart == (end + PAGE - 1) & ~(PAGE - 1), r
    assert mend - mstart == 3004 and first == int.from_bytes(b"MOD1",
                                                             "little")
    outside_image_low(mstring, len(str(module)) + 1)
    # Below the image when there is room: kernels grow heaps up from end.
    if start > PAGE:
        assert rep["mbi"] < start, r
    # The ACPI tables stay where multiboot kernels scan for them.
    assert rep["rsdp"] == 0xe0000, r


def test_kernel_in_page_0_is_refused_naming_both_ranges(tmp_path):
    kernel = build(tmp_path, 0x800)
    r = run_kvmscope("--kernel", kernel)
    assert r.status == 2, r  # refused before a VM exists
    assert r.out == "", r
    assert re.fullmatch(r"kvmscope: ELF segment 0 at 0x800-0x[0-9a-f]+ "
                        r"overlaps page 0 \(real-mode IVT, BIOS data area "
                        r"and boot GDT\) at 0x0-0xfff: link the kernel to "
                        r"load at 0x1000 or higher\n", r.err), r


def test_kernel_over_the_bios_area_is_refused_naming_both_ranges(tmp_path):
    kernel = build(tmp_path, 0x9e000)  # 0x2320 bytes: past the EBDA
    r = run_kvmscope("--kernel", kernel)
    assert r.status == 2, r
    assert re.fullmatch(r"kvmscope: ELF segment 0 at 0x9e000-0xa[0-9a-f]+ "
                        r"overlaps the EBDA, VGA hole and BIOS area \(ACPI "
                        r"tables and RSDP\) at 0x9fc00-0xfffff: link the "
                        r"kernel to load below 0x9fc00 or at 0x100000 or "
                        r"higher\n", r.err), r
