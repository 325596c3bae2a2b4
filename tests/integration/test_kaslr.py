"""KASLR: the relocatable, LZ4-compressed bzImage variant of the default
guest (guests/linux/variants/kaslr.config) picks a new kernel base at
every boot. kvmscope finds it from guest RAM alone: the KASLR offset and
phys_base that query-guest-kernel reports, and the symbols query-symbol
decodes from the guest's kallsyms, must match what the guest itself
prints from /proc/kallsyms and /proc/iomem, on every boot.

KVMSCOPE_KASLR_BOOTS (default 3) says how many boots; each costs the
emulated decompression (see the printed timing) plus a boot.
"""
import base64
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import QMP, ROOT, Running, wait_for_socket

BOOTS = int(os.environ.get("KVMSCOPE_KASLR_BOOTS", "3"))
BOOT_TIMEOUT = 600
START_KERNEL_MAP = 0xffffffff80000000
LINKED_TEXT = 0xffffffff81000000  # _text without KASLR
END = "KVMSCOPE-KASLR-END"
GUEST_COMMAND = ("grep -w -e _text -e jiffies -e init_task /proc/kallsyms; "
                 "grep 'Kernel code' /proc/iomem; echo %s; sleep 100000"
                 % END)


@pytest.fixture(scope="module")
def kaslr_kernel():
    env = dict(os.environ, KVMSCOPE_KERNEL_VARIANT="kaslr")
    out = subprocess.run([str(ROOT / "guests/linux/build-kernel.sh")],
                         check=True, capture_output=True, text=True,
                         timeout=3600, env=env)
    bzimage = out.stdout.strip().splitlines()[-1]
    initrd = subprocess.run([str(ROOT / "guests/linux/build-initramfs.sh")],
                            check=True, capture_output=True, text=True,
                            timeout=3600).stdout.strip().splitlines()[-1]
    assert bzimage.endswith("/bzImage"), bzimage
    return bzimage, initrd


def boot_once(bzimage, initrd, tmp):
    sock = tmp / "vm.sock"
    run = base64.b64encode(GUEST_COMMAND.encode()).decode()
    t0 = time.monotonic()
    g = Running("--kernel", bzimage, "--initrd", initrd, "--mem", "256M",
                "--append", "console=ttyS0 quiet kvmscope.run=" + run,
                "--api-sock", sock)
    try:
        assert wait_for_socket(sock), g.finish(signal.SIGKILL)
        m = g.wait_for_re(r"ready uptime=([0-9.]+)", timeout=BOOT_TIMEOUT)
        assert m, g.finish(signal.SIGKILL)
        ready = time.monotonic() - t0
        assert g.wait_for(END, timeout=BOOT_TIMEOUT), g.finish(
            signal.SIGKILL)
        out = g.out.decode(errors="replace")
        syms = {m.group(2): int(m.group(1), 16) for m in re.finditer(
            r"^([0-9a-f]{16}) \S (_text|jiffies|init_task)\r?$", out, re.M)}
        iomem = re.search(r"^\s*([0-9a-f]+)-[0-9a-f]+ : Kernel code", out,
                          re.M)
        assert len(syms) == 3 and iomem, out[-2000:]
        q = QMP(sock)
        gk = q.ok("query-guest-kernel")
        theirs = {n: int(q.ok("query-symbol", name=n)["address"], 16)
                  for n in syms}
        q.close()
        return {"syms": syms, "text_phys": int(iomem.group(1), 16),
                "gk": gk, "theirs": theirs, "ready": ready,
                "uptime": float(m.group(1))}
    finally:
        g.finish(signal.SIGKILL)


def test_kaslr_offset_matches_the_guest_on_every_boot(kaslr_kernel,
                                                      tmp_path):
    offsets = []
    for i in range(BOOTS):
        d = tmp_path / ("boot%d" % i)
        d.mkdir()
        b = boot_once(*kaslr_kernel, d)
        gk, syms = b["gk"], b["syms"]
        offset = syms["_text"] - LINKED_TEXT
        assert int(gk["kaslr-offset"]["value"], 16) == offset, gk
        # __pa() of a kernel-image address: x - __START_KERNEL_map +
        # phys_base, in unsigned 64-bit arithmetic (phys_base "wraps"
        # when the image sits lower than its virtual offset says)
        phys_base = (b["text_phys"] -
                     (syms["_text"] - START_KERNEL_MAP)) % (1 << 64)
        assert int(gk["phys-base"]["value"], 16) == phys_base, gk
        assert b["theirs"] == syms
        offsets.append(offset)
        # Wall time to the ready line minus the guest's own uptime there is
        # what ran before the kernel's clock: the decompressor, mostly.
        print("\nboot %d: offset %#x phys_base %#x ready %.1f s, guest "
              "uptime %.1f s, before the kernel's clock %.1f s" %
              (i, offset, phys_base, b["ready"], b["uptime"],
               b["ready"] - b["uptime"]))
    # Random bases: the same one every time would mean KASLR was off.
    if BOOTS >= 3:
        assert len(set(offsets)) > 1, offsets
