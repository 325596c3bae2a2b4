"""virtio over PCI with the default Linux guest on real /dev/kvm: the
modern transport and virtio-rng (--rng) as Linux's own drivers
(virtio-pci, virtio_rng) use them.

One guest boots with --rng, a control socket and its shell on stdin; the
tests run in order in it: the PCI function as sysfs shows it, /dev/hwrng
giving random bytes, queue kicks that never exit to user space (KVM
ioeventfd), introspection while the device is busy, and the driver's
unbind/bind re-initialising the device."""
import re
import signal
import subprocess
import time

import pytest

from conftest import QMP, Running, wait_for_socket
from test_linux import BOOT_TIMEOUT, built, cmdline

CMD_TIMEOUT = 180


class Shell:
    """The guest's interactive shell on the serial console."""

    def __init__(self, g):
        self.g = g
        self.n = 0

    def run(self, cmd, timeout=CMD_TIMEOUT):
        """Run cmd; its output and exit status."""
        self.n += 1
        self.g.p.stdin.write(("echo begin-%d; %s; echo done-%d-$?\n" %
                              (self.n, cmd, self.n)).encode())
        self.g.p.stdin.flush()
        # The markers alone on their lines: not the echo of the input.
        m = self.g.wait_for_re(r"(?ms)^begin-%d\r?\n(.*?)^done-%d-(\d+)\r?$"
                               % (self.n, self.n), timeout=timeout)
        assert m, ("no end of %r" % cmd, self.g.out[-3000:])
        return m.group(1).replace("\r", ""), int(m.group(2))

    def ok(self, cmd, timeout=CMD_TIMEOUT):
        out, status = self.run(cmd, timeout)
        assert status == 0, (cmd, out)
        return out


@pytest.fixture(scope="module")
def linux(tmp_path_factory):
    vmlinux, initrd = built("build-kernel.sh"), built("build-initramfs.sh")
    sock = tmp_path_factory.mktemp("virtio") / "api.sock"
    g = Running("--kernel", vmlinux, "--initrd", initrd, "--append",
                cmdline(), "--mem", "256M", "--rng", "--api-sock", sock,
                "--verbose", stdin=subprocess.PIPE)
    try:
        assert wait_for_socket(sock), g.finish(signal.SIGKILL)
        assert g.wait_for("kvmscope-guest: ready", timeout=BOOT_TIMEOUT), \
            g.finish(signal.SIGKILL)
        q = QMP(sock)
    except BaseException:
        g.finish(signal.SIGKILL)
        raise
    yield {"g": g, "sh": Shell(g), "qmp": q}
    try:
        q.close()
        g.p.stdin.write(b"poweroff -f\n")
        g.p.stdin.flush()
        r = g.finish(timeout=120)
    except BaseException:
        g.finish(signal.SIGKILL)
        raise
    # The guest never made the device ask for a reset.
    assert "device needs reset" not in r.err, r.err[-3000:]


def rng_device(sh):
    """The sysfs name of the virtio-rng PCI function (1af4:1044)."""
    out = sh.ok("for d in /sys/bus/pci/devices/*; do read v < $d/vendor; "
                "read i < $d/device; echo ${d##*/} $v $i; done")
    devs = [l.split()[0] for l in out.splitlines()
            if l.split()[1:] == ["0x1af4", "0x1044"]]
    assert len(devs) == 1, out
    return devs[0]


def hwrng_bytes(sh, n=256):
    out = sh.ok("dd if=/dev/hwrng bs=64 count=%d 2>/dev/null | "
                "od -An -tx1 -v" % (n // 64))
    data = bytes(int(x, 16) for x in out.split())
    assert len(data) == n, out
    return data


def test_the_pci_function_is_modern_virtio(linux):
    sh = linux["sh"]
    dev = rng_device(sh)
    d = "/sys/bus/pci/devices/" + dev
    out = sh.ok("cat %s/revision %s/subsystem_vendor %s/class; "
                "ls %s/driver/module 2>/dev/null; readlink %s/driver"
                % (d, d, d, d, d))
    lines = out.split()
    assert lines[:3] == ["0x01", "0x1af4", "0xff0000"], out
    assert lines[-1].endswith("/virtio-pci"), out
    # MSI-X: Linux gave the config vector and the queue their own.
    out = sh.ok("grep -c virtio /proc/interrupts")
    assert int(out.split()[0]) >= 2, out


def test_hwrng_gives_random_bytes(linux):
    sh = linux["sh"]
    out = sh.ok("cat /sys/class/misc/hw_random/rng_available "
                "/sys/class/misc/hw_random/rng_current")
    assert re.search(r"\bvirtio_rng\.\d+\b", out), out
    a, b = hwrng_bytes(sh), hwrng_bytes(sh)
    assert a != bytes(256) and b != bytes(256)
    assert a != b


def mmio_exits(q):
    """Userspace MMIO exits of all vCPUs (kvmscope's own counters)."""
    total = 0
    for r in q.ok("query-stats", target="vcpu",
                  providers=[{"provider": "kvmscope"}]):
        for s in r["stats"]:
            if s["name"] == "exit.mmio.count":
                total += s["value"]
    return total


def test_kicks_take_no_userspace_exit(linux):
    sh, q = linux["sh"], linux["qmp"]
    before = mmio_exits(q)
    # 64 KiB in the driver's 64-byte requests: 1024 kicks at least.
    out = sh.ok("dd if=/dev/hwrng of=/dev/null bs=1024 count=64")
    assert "64+0 records out" in out, out  # busybox dd: no byte count
    after = mmio_exits(q)
    # Through the notify register's write handler each kick would be an
    # exit; with KVM_IOEVENTFD the eventfd takes them in the kernel.
    assert after - before < 32, (before, after)


def test_introspection_while_the_device_is_busy(linux):
    sh, q = linux["sh"], linux["qmp"]
    marker = "kvmscope-virtio-marker-%d" % 4242
    sh.ok("m=%s; dd if=/dev/hwrng of=/tmp/rng bs=64 count=4000 "
          "2>/tmp/dd.log & echo started" % marker)
    for _ in range(3):
        regs = q.ok("query-registers", cpu=0, pause=True)
        assert "rip" in regs, regs
        found = q.ok("search-memory", pattern=marker)
        assert found["count"] >= 1, found
        time.sleep(0.2)
    out = sh.ok("wait; cat /tmp/dd.log; wc -c < /tmp/rng")
    assert "4000+0 records out" in out and out.split()[-1] == "256000", out


def test_unbind_and_bind_reinitialise_the_device(linux):
    sh = linux["sh"]
    dev = rng_device(sh)
    drv = "/sys/bus/pci/drivers/virtio-pci"
    sh.ok("echo %s > %s/unbind" % (dev, drv))
    out = sh.ok("cat /sys/class/misc/hw_random/rng_available; "
                "ls %s" % drv)
    assert "virtio_rng" not in out and dev not in out, out
    sh.ok("echo %s > %s/bind" % (dev, drv))
    out = sh.ok("cat /sys/class/misc/hw_random/rng_available")
    assert re.search(r"\bvirtio_rng\.\d+\b", out), out
    a, b = hwrng_bytes(sh), hwrng_bytes(sh)
    assert a != bytes(256) and a != b
