"""QEMU's pci-testdev (--device pci-testdev) driven by the test kernel's
`pcitest` scenario as kvm-unit-tests drives it: found through config
mechanism #1, its BARs decoded, each of the six tests selected, written
16 times and its count read. kvmscope and QEMU (TCG, -device
pci-testdev) must print the same lines and exit alike; the eventfd tests
must have their writes taken by an ioeventfd (count 0), the others
counted (16).
"""
import shutil
import subprocess

import pytest

from conftest import TESTKERNEL, run_kvmscope

QEMU = shutil.which("qemu-system-x86_64")
pytestmark = pytest.mark.usefixtures("need_qemu")

EXPECTED = [
    "pcitest: mmio-no-eventfd: ok (counted)",
    "pcitest: mmio-wildcard-eventfd: ok (ioeventfd)",
    "pcitest: mmio-datamatch-eventfd: ok (ioeventfd)",
    "pcitest: portio-no-eventfd: ok (counted)",
    "pcitest: portio-wildcard-eventfd: ok (ioeventfd)",
    "pcitest: portio-datamatch-eventfd: ok (ioeventfd)",
    "pcitest: 6 tests, 0 failed",
]


def lines(out):
    return [l for l in out.splitlines() if l.startswith("pcitest: ")]


def test_pcitest_under_kvmscope_and_qemu():
    r = run_kvmscope("--kernel", TESTKERNEL, "--append", "pcitest",
                     "--device", "pci-testdev")
    got = lines(r.out)
    assert got[0].startswith("pcitest: pci-testdev at 00:"), r
    assert got[1:] == EXPECTED, r
    q = subprocess.run([QEMU, "-accel", "tcg", "-kernel", str(TESTKERNEL),
                        "-append", "pcitest", "-device", "pci-testdev",
                        "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                        "-serial", "stdio", "-display", "none", "-nodefaults",
                        "-m", "256", "-no-reboot"],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=120)
    qout = lines(q.stdout.decode(errors="replace"))
    assert qout[1:] == EXPECTED, qout
    assert r.status == q.returncode, (r.status, q.returncode)


def test_no_pci_testdev_is_reported():
    r = run_kvmscope("--kernel", TESTKERNEL, "--append", "pcitest")
    assert lines(r.out) == ["pcitest: no pci-testdev (1b36:0005) on bus 0"]
    assert r.status == 3  # scenario status 1, isa-debug-exit style


def test_pci_testdev_refuses_arguments():
    r = run_kvmscope("--kernel", TESTKERNEL, "--device", "pci-testdev,x=1")
    assert r.status == 2
    assert r.err.strip() == ("kvmscope: --device pci-testdev takes no "
                             "arguments, not 'x=1'"), r.err
