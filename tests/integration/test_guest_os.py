"""The guest's operating system seen from its RAM alone, on the default
Linux guest: its kernel log (guest-dmesg) compared with what the guest's
own tools say.

One guest boots for the whole module (a boot costs ~15-50 s here); it runs
a shell command that prints what the guest itself sees, then sleeps, so
kvmscope's views can be compared with it while the guest is alive.
"""
import base64
import re
import signal
import subprocess

import pytest

from conftest import KVMSCOPE, QMP, ROOT, Running, wait_for_socket

BOOT_TIMEOUT = 300
START, END = "KVMSCOPE-GUEST-VIEW-START", "KVMSCOPE-GUEST-VIEW-END"
# What the guest says about itself, between markers.
GUEST_COMMAND = "echo %s; dmesg; echo %s; exec sleep 100000" % (START, END)


def built(script):
    out = subprocess.run([str(ROOT / "guests/linux" / script)], check=True,
                         capture_output=True, text=True, timeout=3600)
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def linux(tmp_path_factory):
    vmlinux, initrd = built("build-kernel.sh"), built("build-initramfs.sh")
    sock = tmp_path_factory.mktemp("guest-os") / "vm.sock"
    run = base64.b64encode(GUEST_COMMAND.encode()).decode()
    g = Running("--kernel", vmlinux, "--initrd", initrd, "--mem", "256M",
                "--append", "console=ttyS0 panic=-1 quiet rodata=off "
                "kvmscope.run=" + run, "--api-sock", sock)
    try:
        assert wait_for_socket(sock), g.finish(signal.SIGKILL)
        assert g.wait_for(END + "\r\n", timeout=BOOT_TIMEOUT) or \
            g.wait_for(END + "\n", timeout=1), g.finish(signal.SIGKILL)
        out = g.out.decode(errors="replace").replace("\r\n", "\n")
        before = out.rsplit(END, 1)[0].rsplit(START, 1)[1]
        guest_dmesg = [l for l in before.splitlines()
                       if re.match(r"\[ *\d+\.\d{6}\] ", l)]
        q = QMP(sock)
        yield {"qmp": q, "sock": sock, "dmesg": guest_dmesg, "out": out}
        q.close()
    finally:
        g.finish(signal.SIGKILL)


def ctl(sock, *args):
    p = subprocess.run([str(KVMSCOPE), "ctl", str(sock)] + list(args),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_guest_dmesg_is_the_guests_own_log(linux):
    got = linux["qmp"].ok("guest-dmesg")
    lines = [r["line"] for r in got["records"]]
    assert got["method"] == "printk ring buffer located by VMCOREINFO"
    assert got["ring-bytes"] == 1 << 17  # CONFIG_LOG_BUF_SHIFT=17
    # The guest's dmesg ran before the query: every line it printed is in
    # kvmscope's view, in the same order, identical (the guest's console
    # lines were printed while quiet, so the log is the reference).
    theirs = linux["dmesg"]
    assert len(theirs) > 50, linux["out"][-2000:]
    assert lines[:len(theirs)] == theirs
    assert lines[0].startswith("[    0.000000] Linux version 6.1."), lines[0]
    seqs = [r["seq"] for r in got["records"]]
    assert seqs == sorted(seqs) and seqs[0] == 0
    assert all(re.fullmatch(r"[CT]\d+", r["caller"]) for r in got["records"])


def test_guest_dmesg_last_and_ctl_text(linux):
    last = linux["qmp"].ok("guest-dmesg", last=3)["records"]
    every = linux["qmp"].ok("guest-dmesg")["records"]
    assert len(last) == 3 and last == every[-3:]
    text = ctl(linux["sock"], "guest-dmesg", "last=3")
    assert text.splitlines() == [r["line"] for r in last]
    err = linux["qmp"].execute("guest-dmesg", last=0)["error"]["desc"]
    assert "last" in err
