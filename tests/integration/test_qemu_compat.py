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


def run_qemu(kernel, append=None, smp=1, timeout=60, cpu=None):
    cmd = [QEMU, "-accel", "tcg", "-kernel", str(kernel), "-device",
           "isa-debug-exit,iobase=0xf4,iosize=4", "-serial", "stdio",
           "-display", "none", "-nodefaults", "-m", "256", "-smp", str(smp),
           "-no-reboot"]
    if append is not None:
        cmd += ["-append", append]
    if cpu is not None:
        cmd += ["-cpu", cpu]
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


def test_cacheline_matches_qemu_for_the_same_cpuid():
    # kvmscope's guest sees what this host's KVM offers (kvm_pvm passes its
    # CPUID leaf 7 through); QEMU's qemu64 model hides CLWB, CLFLUSHOPT
    # and INVPCID, its max model offers the first two. Each feature's line
    # must be QEMU's line for the same CPUID state, except that TCG runs
    # CLWB/CLFLUSHOPT on a non-canonical address without the #GP(0) the
    # SDM specifies (QEMU translates them as no-ops).
    qemu = {}
    for cpu in ("qemu64", "max"):
        status, out = run_qemu(TESTKERNEL, "cacheline", cpu=cpu)
        assert status == 1, out
        for line in scenario_lines(out):
            words = line.split()
            if len(words) > 2 and words[1] in ("clwb", "clflushopt",
                                                "invpcid"):
                qemu[(words[1], words[2])] = line
    assert ("clwb", "hidden:") in qemu and ("clwb", "offered:") in qemu, qemu
    r = run_kvmscope("--kernel", TESTKERNEL, "--append", "cacheline")
    assert r.status == 1, r
    compared = 0
    for line in scenario_lines(r.out):
        words = line.split()
        if len(words) < 3 or (words[1], words[2]) not in qemu:
            continue
        want = qemu[(words[1], words[2])]
        if words[2] == "offered:" and words[1] in ("clwb", "clflushopt"):
            assert line.replace("non-canonical #GP(0)", "non-canonical ok") \
                == want, (line, want)
        else:
            assert line == want, (line, want)
        compared += 1
    assert compared == 3, (qemu, r)


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
