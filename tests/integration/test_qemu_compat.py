"""Multiboot kernels written for QEMU's -kernel run unchanged in kvmscope.

Each kernel runs under QEMU (TCG, isa-debug-exit at 0xf4, COM1 on stdio)
and under kvmscope; the scenario output and exit status must match.
"""
import pathlib
import shutil
import subprocess

import pytest

from conftest import TESTKERNEL, run_kvmscope

QEMU = shutil.which("qemu-system-x86_64")
pytestmark = pytest.mark.usefixtures("need_qemu")  # missing QEMU: a failure
HERE = pathlib.Path(__file__).parent


def run_qemu(kernel, append=None, smp=1, timeout=60):
    cmd = [QEMU, "-accel", "tcg", "-kernel", str(kernel), "-device",
           "isa-debug-exit,iobase=0xf4,iosize=4", "-serial", "stdio",
           "-display", "none", "-nodefaults", "-m", "256", "-smp", str(smp),
           "-no-reboot"]
    if append is not None:
        cmd += ["-append", append]
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace")


def scenario_lines(out):
    # Memory maps and the kernel's own path legitimately differ, and so do
    # the PIC masks at boot: SeaBIOS unmasks the IRQs it services (IRQ 0,
    # 1, 6, 8, 12-14), kvmscope leaves all but the cascade masked as
    # qboot does (test_realmode.py checks them).
    return [l for l in out.splitlines()
            if not l.startswith(("mmap:", "cmdline:", "mem_lower",
                                 "realmode: pic masks at boot"))]


@pytest.mark.parametrize("scenario,smp", [
    ("hello", 1), ("exit 5", 1), ("pio 100", 1), ("smp", 2), ("int3", 1),
    ("fwait", 1), ("user 1000", 1), ("mxcsr", 1), ("intn", 1), ("insns", 1),
    ("realmode", 1), ("bogus", 1),
])
def test_testkernel_matches_qemu(scenario, smp):
    qstatus, qout = run_qemu(TESTKERNEL, scenario, smp=smp)
    r = run_kvmscope("--kernel", TESTKERNEL, "--append", scenario,
                     "--cpus", smp)
    assert r.status == qstatus, (qout, r)
    assert scenario_lines(r.out) == scenario_lines(qout), (qout, r)


@pytest.fixture(scope="module")
def aout_kernel(tmp_path_factory):
    d = tmp_path_factory.mktemp("aout")
    elf, flat = d / "aout.elf", d / "aout.bin"
    subprocess.run(["gcc", "-m32", "-nostdlib", "-static", "-fno-pic",
                    "-no-pie", "-Wl,-Ttext=0x100000", "-Wl,--build-id=none",
                    "-o", str(elf), str(HERE / "aout_kludge.S")], check=True)
    subprocess.run(["objcopy", "-O", "binary", "-j", ".text", str(elf),
                    str(flat)], check=True)
    return flat


def test_aout_kludge_flat_binary_matches_qemu(aout_kernel):
    qstatus, qout = run_qemu(aout_kernel)
    r = run_kvmscope("--kernel", aout_kernel)
    assert qstatus == 7 and "aout kludge kernel ok" in qout, qout
    assert r.status == 7, r
    assert r.out == qout
