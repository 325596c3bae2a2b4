"""The default Linux guest (guests/linux) on real /dev/kvm: boot to the ready
line with 1 and 2 vCPUs, run a command given on the kernel command line,
take input from stdin, power off with status 0, and report a kernel panic
through pvpanic.

Guest kernel code is emulated on hosts without VMX/SVM (about a million
instructions per second), so each boot takes tens of seconds there."""
import base64
import pathlib
import re
import signal
import subprocess
import time

import pytest

from conftest import ROOT, Running, run_kvmscope

BOOT_TIMEOUT = 600
READY = re.compile(r"kvmscope-guest: ready uptime=([0-9.]+) cpus=(\d+)")


def built(script):
    out = subprocess.run([str(ROOT / "guests/linux" / script)], check=True,
                         capture_output=True, text=True, timeout=3600)
    return pathlib.Path(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def guest():
    return built("build-kernel.sh"), built("build-initramfs.sh")


def cmdline(run=None):
    s = "console=ttyS0 panic=-1 quiet rodata=off"
    if run is not None:
        s += " kvmscope.run=" + base64.b64encode(run.encode()).decode()
    return s


@pytest.mark.parametrize("cpus", [1, 2])
def test_boots_runs_command_and_powers_off(guest, cpus):
    vmlinux, initrd = guest
    r = run_kvmscope("--kernel", vmlinux, "--initrd", initrd, "--append",
                     cmdline('nproc; echo "quoting \\"works\\" $((6*7))"'),
                     "--cpus", cpus, "--mem", "256M", timeout=BOOT_TIMEOUT)
    assert r.status == 0, r  # ACPI S5 power-off
    m = READY.search(r.out)
    assert m and int(m.group(2)) == cpus, r
    lines = r.out.splitlines()
    after = lines[[i for i, l in enumerate(lines) if READY.search(l)][0]
                  + 1:]
    assert after[0].strip() == str(cpus), r
    assert 'quoting "works" 42' in r.out, r
    assert "kvmscope-guest: command exit status 0" in r.out, r
    assert "ACPI Error" not in r.out and "ACPI BIOS Error" not in r.out


def test_fast_output_is_not_lost(guest):
    vmlinux, initrd = guest
    # 4000 lines as fast as the guest can write them: every one must arrive.
    r = run_kvmscope("--kernel", vmlinux, "--initrd", initrd, "--append",
                     cmdline("seq 1 4000"), "--mem", "256M",
                     timeout=BOOT_TIMEOUT)
    assert r.status == 0, r
    body = r.out.split("kvmscope-guest: ready", 1)[1].split("\n", 1)[1]
    body = body.split("kvmscope-guest: command exit status", 1)[0]
    assert [l.strip() for l in body.splitlines() if l.strip()] == \
        [str(i) for i in range(1, 4001)], r.out[-2000:]


def test_stdin_reaches_the_guest_shell(guest):
    vmlinux, initrd = guest
    g = Running("--kernel", vmlinux, "--initrd", initrd, "--append",
                cmdline(), "--mem", "256M", stdin=subprocess.PIPE)
    try:
        assert g.wait_for("kvmscope-guest: ready", timeout=BOOT_TIMEOUT), \
            g.finish(signal.SIGKILL)
        g.p.stdin.write(b"echo from-stdin-$((7*6))\n")
        g.p.stdin.flush()
        assert g.wait_for("from-stdin-42", timeout=120), \
            g.finish(signal.SIGKILL)
        g.p.stdin.write(b"poweroff -f\n")
        g.p.stdin.flush()
    except BaseException:
        g.finish(signal.SIGKILL)
        raise
    r = g.finish(timeout=120)
    assert r.status == 0, r


def test_kernel_panic_ends_with_nonzero_status_and_text(guest):
    vmlinux, _ = guest
    # No initramfs and no root device: the kernel panics. Its pvpanic driver
    # (ACPI QEMU0001 at port 0x505) tells kvmscope before panic=-1 would
    # reboot it, which ends kvmscope with status 18, every vCPU stopped in
    # the panic path: the register dump is the panicking CPU's.
    r = run_kvmscope("--kernel", vmlinux, "--append", cmdline(),
                     "--mem", "256M", timeout=BOOT_TIMEOUT)
    assert r.status == 18, r
    assert "Kernel panic - not syncing" in r.out, r
    assert "the guest kernel panicked (pvpanic event PANICKED at port " \
        "0x505)" in r.err, r
    assert "Rebooting" not in r.out, r
