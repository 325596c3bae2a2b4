"""PCI on the default Linux guest: the kernel finds configuration space
(mechanism #1 and ECAM through the MCFG table, the range reserved as a
motherboard resource), the host bridge's windows from the DSDT, and the
functions query-pci reports (the host bridge, the default virtio-rng, a
virtio-blk disk and --device pci-testdev), with the same IDs and BARs as
the guest's sysfs and as Debian's own lspci (from the demo disk) lists
them, and the guest's driver enabling MSI-X on the virtio-rng. Today's guest printed "PCI: Fatal: No config space access
function found" before kvmscope had a PCI bus.
"""
import base64
import re
import signal
import subprocess

import pytest

from conftest import QMP, ROOT, Running, wait_for_socket

BOOT_TIMEOUT = 300
END = "KVMSCOPE-PCI-END"
GUEST = ("dmesg | grep -i -e pci -e mmconfig; "
         "for d in /sys/bus/pci/devices/*; do echo DEV ${d##*/} "
         "$(cat $d/vendor $d/device $d/class) "
         "$(wc -c < $d/config) $(head -1 $d/resource | cut -d' ' -f1); "
         "echo BARS ${d##*/} $(head -6 $d/resource | cut -d' ' -f1); "
         "echo IRQ ${d##*/} $(cat $d/irq) $(ls $d/msi_irqs 2>/dev/null "
         "| wc -l); done; mkdir -p /mnt; mount /dev/vda /mnt; "
         "mount -t sysfs sysfs /mnt/sys; chroot /mnt lspci -n | "
         "sed 's/^/LSPCI-N /'; chroot /mnt lspci | sed 's/^/LSPCI /'; "
         "echo %s; sleep 100000" % END)


def built(script):
    out = subprocess.run([str(ROOT / "guests/linux" / script)], check=True,
                         capture_output=True, text=True, timeout=3600)
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def guest(tmp_path_factory):
    vmlinux, initrd = built("build-kernel.sh"), built("build-initramfs.sh")
    tmp = tmp_path_factory.mktemp("pci")
    sock, disk = tmp / "vm.sock", tmp / "rootfs.ext4"
    disk.write_bytes(open(built("build-rootfs.sh"), "rb").read())
    run = base64.b64encode(GUEST.encode()).decode()
    g = Running("--kernel", vmlinux, "--initrd", initrd, "--mem", "256M",
                "--device", "pci-testdev", "--disk", disk,
                "--append", "console=ttyS0 kvmscope.run=" + run,
                "--api-sock", sock)
    try:
        assert wait_for_socket(sock), g.finish(signal.SIGKILL)
        assert g.wait_for(END + "\r\n", timeout=BOOT_TIMEOUT) or \
            g.wait_for(END + "\n", timeout=1), g.finish(signal.SIGKILL)
        out = g.out.decode(errors="replace").replace("\r\n", "\n")
        q = QMP(sock)
        yield {"out": out, "qmp": q, "sock": sock}
        q.close()
    finally:
        g.finish(signal.SIGKILL)


def test_linux_finds_config_space_and_the_windows(guest):
    out = guest["out"]
    assert "No config space access function found" not in out
    assert re.search(r"PCI: MMCONFIG at \[mem 0xe0000000-0xe00fffff\] "
                     r"reserved in ACPI motherboard resources", out), out
    assert "ACPI: PCI Root Bridge [PCI0] (domain 0000 [bus 00])" in out
    for window in (r"\[io  0xc000-0xffff window\]",
                   r"\[mem 0xc0000000-0xdfffffff window\]",
                   r"\[mem 0x100000000-0x10ffffffff window\]"):
        assert re.search(r"root bus resource " + window, out), out


def test_query_pci_matches_the_guests_sysfs(guest):
    devs = {}
    for m in re.finditer(r"^DEV 0000:00:(\w\w)\.0 0x(\w+) 0x(\w+) 0x(\w+) "
                         r"(\d+) 0x(\w+)$", guest["out"], re.M):
        devs[int(m.group(1), 16)] = (int(m.group(2), 16),
                                     int(m.group(3), 16),
                                     int(m.group(4), 16), int(m.group(5)),
                                     int(m.group(6), 16))
    bus = guest["qmp"].ok("query-pci")
    assert len(bus) == 1 and bus[0]["bus"] == 0
    ours = {d["slot"]: d for d in bus[0]["devices"]}
    assert set(ours) == set(devs), (ours, devs)
    bridge = ours[0]
    assert (bridge["id"]["vendor"], bridge["id"]["device"]) == (0x8086,
                                                                0x29c0)
    assert devs[0][:3] == (0x8086, 0x29c0, 0x060000)
    # 4096 bytes of config space: extended config reaches the guest only
    # through ECAM (mechanism #1 has 256)
    assert devs[0][3] == 4096, devs
    for slot, d in ours.items():
        assert (d["id"]["vendor"], d["id"]["device"]) == devs[slot][:2]
        assert d["class_info"]["class"] == devs[slot][2] >> 8
        # BAR 0 where the guest's kernel sees it (0 when it has none)
        bar0 = [r for r in d["regions"] if r["bar"] == 0]
        assert devs[slot][4] == (int(bar0[0]["address"], 16) if bar0
                                 else 0), (d, devs[slot])


def test_the_guests_lspci_lists_every_function(guest):
    """Debian's lspci in the guest: every function query-pci reports, with
    its class and IDs (the virtio spec's 1af4:1040+ID for virtio), and
    pciutils' names for the virtio ones."""
    out = guest["out"]
    lspci = {int(m.group(1), 16): (int(m.group(2), 16), int(m.group(3), 16),
                                   int(m.group(4), 16))
             for m in re.finditer(r"^LSPCI-N 00:(\w\w)\.0 (\w{4}): "
                                  r"(\w{4}):(\w{4})", out, re.M)}
    ours = guest["qmp"].ok("query-pci")[0]["devices"]
    assert {d["slot"]: (d["class_info"]["class"], d["id"]["vendor"],
                        d["id"]["device"]) for d in ours} == lspci, out
    assert sorted(v[1:] for v in lspci.values()) == sorted(
        [(0x8086, 0x29c0), (0x1af4, 0x1042), (0x1af4, 0x1044),
         (0x1b36, 0x0005)]), lspci
    names = re.findall(r"^LSPCI 00:\w\w\.0 (.*)$", out, re.M)
    assert "SCSI storage controller: Red Hat, Inc. Virtio 1.0 block " \
        "device (rev 01)" in names, names
    assert "Unassigned class [ff00]: Red Hat, Inc. Virtio 1.0 RNG " \
        "(rev 01)" in names, names


def sysfs_lines(out, tag):
    """{slot: [fields]} of the guest's "TAG 0000:00:SS.0 ..." lines."""
    return {int(m.group(1), 16): m.group(2).split()
            for m in re.finditer(r"^%s 0000:00:(\w\w)\.0 ?(.*)$" % tag, out,
                                 re.M)}


def by_id(qmp, vendor, device):
    found = [d for d in qmp.ok("query-pci")[0]["devices"]
             if (d["id"]["vendor"], d["id"]["device"]) == (vendor, device)]
    assert len(found) == 1, found
    return found[0]


def test_pci_testdev_bars_where_the_guest_sees_them(guest):
    d = by_id(guest["qmp"], 0x1b36, 0x0005)
    bars = sysfs_lines(guest["out"], "BARS")[d["slot"]]
    # QEMU's layout: BAR 0 memory, BAR 1 I/O, both decoded by the guest
    assert [(r["bar"], r["type"]) for r in d["regions"]] == \
        [(0, "memory"), (1, "io")], d
    for r in d["regions"]:
        assert r["decoded"] and r["address"] is not None, r
        assert int(bars[r["bar"]], 16) == int(r["address"], 16), (r, bars)
    assert [int(b, 16) for b in bars[2:]] == [0, 0, 0, 0], bars
    assert d["command"] & 0x3 == 0x3, d  # I/O and memory decoding on


def test_guest_driver_enabled_msix_on_virtio_rng(guest):
    d = by_id(guest["qmp"], 0x1af4, 0x1044)
    irq, nr_msi = (int(x) for x in
                   sysfs_lines(guest["out"], "IRQ")[d["slot"]])
    assert d["msix"]["vectors"] >= 1, d
    # the guest's virtio-pci driver switched MSI-X on and took vectors
    assert d["msix"]["enabled"], d
    assert 1 <= nr_msi <= d["msix"]["vectors"], (nr_msi, d)
    assert irq > 0, irq
    assert d["command"] & 0x4, d  # bus master, so MSI writes can happen


def test_ctl_prints_it_like_lspci(guest):
    p = subprocess.run([str(ROOT / "build/kvmscope"), "ctl",
                        str(guest["sock"]), "query-pci"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(
        "00:00.0 Host bridge [0600]: 8086:29c0 host bridge\n"), p.stdout


def test_linux_guests_get_virtio_rng_by_default(guest, tmp_path):
    ours = guest["qmp"].ok("query-pci")[0]["devices"]
    ids = [(d["id"]["vendor"], d["id"]["device"]) for d in ours]
    assert (0x1af4, 0x1044) in ids, ids  # virtio-rng, without --rng
    # --no-rng: none (checked before the guest runs a single instruction)
    sock = tmp_path / "norng.sock"
    g = Running("--kernel", built("build-kernel.sh"), "--no-rng",
                "--paused", "--api-sock", sock)
    try:
        assert wait_for_socket(sock), g.finish(signal.SIGKILL)
        q = QMP(sock)
        devs = q.ok("query-pci")[0]["devices"]
        q.close()
        assert [(d["id"]["vendor"], d["id"]["device"]) for d in devs] == \
            [(0x8086, 0x29c0)], devs
    finally:
        g.finish(signal.SIGKILL)
