"""Slow tier: Debian's stock cloud kernel (linux-image-cloud-amd64), fetched
with apt-get download (never committed), booted as its extracted ELF vmlinux
through PVH and as its bzImage, with the default guest's initramfs.

On hosts without VMX/SVM, guest kernel code is emulated: these boots take
minutes. The test asserts that kvmscope never hangs silently: the guest
either reaches the ready line and powers off (status 0), or kvmscope ends on
its own with a non-zero status and shows why (a decoded diagnostic naming
the instruction, RIP and symbol, or the guest's panic text). What happened
is written to build/stock-kernel-<variant>.log and summarised on stdout
(`make check-slow` runs pytest with -s)."""
import base64
import pathlib
import re
import subprocess

import pytest

from conftest import ROOT, BUILD, run_kvmscope

TIMEOUT = 1800  # seconds; QEMU soft-locks after ~470 s on such hosts
READY = re.compile(r"kvmscope-guest: ready uptime=([0-9.]+) cpus=(\d+)")


def last_line(script):
    out = subprocess.run([str(ROOT / "guests/linux" / script)], check=True,
                         capture_output=True, text=True, timeout=3600)
    return pathlib.Path(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def stock():
    return last_line("fetch-stock-kernel.sh"), \
        last_line("build-initramfs.sh")


def summarise(variant, r):
    log = BUILD / ("stock-kernel-%s.log" % variant)
    log.write_text("status %d\n--- serial ---\n%s\n--- kvmscope ---\n%s" %
                   (r.status, r.out, r.err))
    stamps = re.findall(r"^\[\s*([0-9.]+)\]", r.out, re.M)
    last = [l for l in r.out.splitlines() if l.strip()][-3:]
    print("\nstock kernel (%s): status %d, last guest timestamp %s s" %
          (variant, r.status, stamps[-1] if stamps else "-"))
    for l in last:
        print("  serial: " + l)
    for l in r.err.splitlines():
        if "emulator fallback" in l or "RIP" in l or "code at RIP" in l \
                or "exit status" in l or "KVM" in l:
            print("  kvmscope: " + l.replace("kvmscope: ", "")[:200])
    print("  full log: %s" % log)


@pytest.mark.parametrize("variant", ["pvh-vmlinux", "bzimage"])
def test_stock_kernel_gets_as_far_as_it_can_and_says_why(stock, variant):
    stock_dir, initrd = stock
    kernel = stock_dir / ("vmlinux" if variant == "pvh-vmlinux" else
                          "bzImage")
    run = base64.b64encode(b"echo stock-kernel-userspace-ok").decode()
    r = run_kvmscope("--kernel", kernel, "--initrd", initrd,
                     "--symbols", stock_dir / "System.map",
                     "--append", "console=ttyS0 panic=-1 nokaslr "
                     "kvmscope.run=" + run,
                     "--mem", "512M", "--cpus", "1", "--stats",
                     timeout=TIMEOUT)
    summarise(variant, r)
    if READY.search(r.out):
        assert "stock-kernel-userspace-ok" in r.out, r
        assert r.status == 0, r
        return
    # It did not reach user space: kvmscope must have ended by itself,
    # with a reason a person can act on.
    assert r.status != 0
    diagnostic = "code at RIP" in r.err and re.search(r"RIP [0-9a-f]+ <",
                                                       r.err)
    panic = "Kernel panic" in r.out
    assert diagnostic or panic, r
