"""A multiboot kernel that drops back to real mode finds what a BIOS leaves.

The test kernel's `realmode` scenario reads the BIOS data area and the IVT,
goes to real mode, takes IRQ 0 from the PIT through the IVT (its own hook
on vector 0x08 chaining to the BIOS handler, which counts the tick in the
BDA and sends EOI: without EOI only one tick would arrive), sleeps in hlt
until the next tick, takes COM1's IRQ 4 through the default handler of
vector 0x0c (whose EOI must leave the PIC's ISR clear), runs INT 1Ch (the BIOS's IRET) and INT 60h (its own
handler) and returns to long mode. The same output under QEMU + SeaBIOS is
held in test_qemu_compat.py.
"""
import subprocess

import pytest

from conftest import ROOT, run_guest, run_kvmscope

REALMODE_OK = (42 << 1) | 1

EXPECTED = [
    "realmode: bda com1 0x3f8, base memory 639 KiB, ebda at 0x9fc0 (1 KiB),"
    " 1 serial port(s), x87 yes",
    "realmode: ivt 08 -> f000:fea5, 1c -> f000:ff53",
    # Both PICs initialised, everything masked but the cascade (IRQ 2).
    "realmode: pic masks at boot 0xfffb",
    "realmode: back from real mode",
    # IRQ 0 arrives on vector 0x08: the master PIC's base.
    "realmode: irq0 on vector 0x08: 3 ticks, bda counter +3",
    "realmode: hlt woke on the next tick: 4 ticks, bda counter +4,"
    " pic isr 0x00",
    # COM1's THR-empty IRQ 4 through the default master handler: its EOI
    # leaves the ISR clear, and the edge arrives once.
    "realmode: irq4 (com1 thr empty) on vector 0x0c: 1 arrival(s),"
    " pic isr 0x00 after the bios handler",
    "realmode: int 0x1c (bios entry) returned ax 0x1234 bx 0x5678 cf 1",
    "realmode: int 0x60 (own entry) returned bx 0xeeee, frame 0000:next insn,"
    " if 0 inside, 1 after",
]

# What kvmscope read back from KVM after programming the PICs and the PIT:
# the slave's base, which no device here can raise an IRQ on, is checked
# this way.
PROGRAMMED = ("BIOS environment: PIC vector bases 0x08/0x70, IMR 0xfb/0xff,"
              " PIT channel 0 mode 2 count 65536 (read back from KVM)")


@pytest.mark.parametrize("cpus", [1, 2])
def test_realmode_takes_irq0_through_the_ivt_and_returns(cpus):
    # With 2 vCPUs the AP waits for SIPI: the PIC's ExtINT must still
    # reach the boot vCPU.
    r = run_guest("realmode", "-vv", "--cpus", cpus)
    assert r.status == REALMODE_OK, r
    assert r.out.splitlines() == EXPECTED, r
    assert PROGRAMMED in r.err, r


def test_flat_aout_kludge_kernel_gets_the_bios_environment(tmp_path):
    elf, flat = tmp_path / "aout.elf", tmp_path / "aout.bin"
    subprocess.run(["gcc", "-m32", "-nostdlib", "-static", "-fno-pic",
                    "-no-pie", "-Wl,-Ttext=0x100000", "-Wl,--build-id=none",
                    "-o", str(elf),
                    str(ROOT / "tests/integration/aout_kludge.S")],
                   check=True)
    subprocess.run(["objcopy", "-O", "binary", "-j", ".text", str(elf),
                    str(flat)], check=True)
    r = run_kvmscope("--kernel", flat, "-vv")
    assert r.status == 7, r
    assert PROGRAMMED in r.err, r
