"""The guest's Linux kernel seen from RAM alone (issue 9 items 2 and 3):
query-guest-kernel finds VMCOREINFO and reports the kernel the guest says
it runs, query-symbol decodes kallsyms from guest memory and agrees with
the build's System.map and with the guest's own /proc/kallsyms, RIPs are
named without --symbols (query-registers, gdb's monitor, the diagnostic of
a dead guest), and a guest that is not Linux gets a clear error.

One Linux boot serves the whole module (each costs ~15 s here); the test
that kills the guest runs last."""

import base64
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import (KVMSCOPE, QMP, TESTKERNEL, Running, need_tool,
                      wait_for_socket)
from test_linux import BOOT_TIMEOUT, built, cmdline

MARK = "kvmscope-os-test"


def system_map(vmlinux):
    syms = {}
    by_addr = []
    with open(os.path.join(os.path.dirname(vmlinux), "System.map")) as f:
        for line in f:
            addr, typ, name = line.split()
            syms.setdefault(name, (int(addr, 16), typ))
            by_addr.append((int(addr, 16), name))
    return syms, by_addr


class LinuxGuest:
    def __init__(self):
        self.vmlinux, initrd = built("build-kernel.sh"), \
            built("build-initramfs.sh")
        self.dir = tempfile.mkdtemp(prefix="ksos", dir="/tmp")
        self.sock = os.path.join(self.dir, "api.sock")
        self.gdb_sock = os.path.join(self.dir, "gdb.sock")
        self.g = Running("--kernel", self.vmlinux, "--initrd", initrd,
                         "--append", cmdline(), "--mem", "256M",
                         "--api-sock", self.sock,
                         "--gdb", "unix:" + self.gdb_sock,
                         stdin=subprocess.PIPE)
        if not self.g.wait_for("kvmscope-guest: ready",
                               timeout=BOOT_TIMEOUT):
            r = self.g.finish(signal.SIGKILL)
            shutil.rmtree(self.dir, ignore_errors=True)
            pytest.fail("the Linux guest did not boot: %r" % r)
        self.qmp = QMP(self.sock)
        self.n = 0
        self.result = None

    def shell(self, command, timeout=120):
        """Run command in the guest's shell; its output between markers."""
        self.n += 1
        begin, end = "%s-%d-begin" % (MARK, self.n), "%s-%d-end" % (
            MARK, self.n)
        # The markers are built by the shell, so the echoed command line
        # never matches them.
        line = "echo %s''-%d-begin; %s; echo %s''-%d-end\n" % (
            MARK, self.n, command, MARK, self.n)
        self.g.p.stdin.write(line.encode())
        self.g.p.stdin.flush()
        m = self.g.wait_for_re("(?s)" + re.escape(begin) + r"\r?\n(.*?)" +
                               re.escape(end), timeout=timeout)
        assert m, self.g.out[-2000:]
        return m.group(1).replace("\r", "")

    def finish(self, timeout=60):
        self.result = self.g.finish(timeout=timeout)
        return self.result

    def close(self):
        self.qmp.close()
        if self.result is None:
            if self.g.p.poll() is None:
                self.g.p.kill()
            self.g.finish(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def linux():
    g = LinuxGuest()
    yield g
    g.close()


def build_id(vmlinux):
    out = subprocess.run(["readelf", "-n", str(vmlinux)], check=True,
                         capture_output=True, text=True).stdout
    return re.search(r"Build ID: ([0-9a-f]{40})", out).group(1)


def test_query_guest_kernel_reports_the_running_kernel(linux):
    k = linux.qmp.ok("query-guest-kernel")
    release = linux.shell("uname -r").strip()
    assert k["os-release"] == {"value": release, "method": "vmcoreinfo"}
    assert k["build-id"] == {"value": build_id(linux.vmlinux),
                             "method": "vmcoreinfo"}
    assert k["page-size"] == {"value": 4096, "method": "vmcoreinfo"}
    # This kernel is built without RANDOMIZE_BASE and loaded where linked.
    assert k["kaslr-offset"] == {"value": "0x0", "method": "vmcoreinfo"}
    assert k["phys-base"] == {"value": "0x0", "method": "vmcoreinfo"}
    assert k["paging-levels"] == {"value": 4, "method": "vmcoreinfo"}
    assert k["kernel-page-tables"] == "swapper_pg_dir"
    vi = k["vmcoreinfo"]
    assert vi["source"] == "note" and vi["consistent"] is True, vi
    # The note's text is where it says: read it back.
    raw = linux.qmp.ok("read-memory", gpa=vi["gpa"], len=10)
    assert base64.b64decode(raw["data"]) == b"OSRELEASE="
    assert k["kallsyms"]["available"] is True, k["kallsyms"]
    # Every symbol the guest's /proc/kallsyms lists (no modules here).
    assert k["kallsyms"]["symbols"] == int(
        linux.shell("wc -l < /proc/kallsyms"))
    # A repeat is served from the cache.
    again = linux.qmp.ok("query-guest-kernel")
    assert again["vmcoreinfo"] == vi and again["build-id"] == k["build-id"]


@pytest.mark.parametrize("name", ["start_kernel", "init_task", "jiffies",
                                  "_stext", "__nosave_begin"])
def test_query_symbol_by_name_matches_system_map(linux, name):
    syms, _ = system_map(linux.vmlinux)
    addr, typ = syms[name]
    s = linux.qmp.ok("query-symbol", name=name)
    assert s["name"] == name
    assert int(s["address"], 16) == addr
    assert s["type"] == typ
    assert s["offset"] == "0x0" and s["text"] == name + "+0x0"


def test_query_symbol_matches_the_guests_proc_kallsyms(linux):
    out = linux.shell("grep -w -e start_kernel -e jiffies -e init_task "
                      "/proc/kallsyms")
    seen = 0
    for line in out.splitlines():
        addr, typ, name = line.split()[:3]
        s = linux.qmp.ok("query-symbol", name=name)
        assert (int(s["address"], 16), s["type"]) == (int(addr, 16), typ)
        seen += 1
    assert seen == 3, out


def test_query_symbol_by_address_names_the_covering_symbol(linux):
    syms, by_addr = system_map(linux.vmlinux)
    start = syms["start_kernel"][0]
    s = linux.qmp.ok("query-symbol", addr="0x%x" % (start + 0x10))
    assert s["text"] == "start_kernel+0x10"
    assert s["name"] == "start_kernel" and s["offset"] == "0x10"
    nxt = min(a for a, _ in by_addr if a > start)
    assert int(s["size"], 16) == nxt - start
    # A user-space address is no kernel symbol (per-cpu offsets lie low).
    r = linux.qmp.execute("query-symbol", addr="0x401000")
    assert r["error"]["desc"].startswith("no symbol covers 0x401000 ("), r
    assert linux.qmp.ok("query-symbol", name="fixed_percpu_data")[
        "address"] == "0x0"
    r = linux.qmp.execute("query-symbol", name="no_such_symbol_here")
    assert r["error"]["desc"].startswith(
        "no symbol 'no_such_symbol_here' in the guest kernel's kallsyms ("), r
    r = linux.qmp.execute("query-symbol")
    assert r["error"]["desc"] == "give exactly one of name=NAME or addr=ADDR"


def ctl(linux, *args):
    p = subprocess.run([str(KVMSCOPE), "ctl", linux.sock] + list(args),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p
    return p.stdout


def test_ctl_prints_kernel_and_symbol_lines(linux):
    syms, _ = system_map(linux.vmlinux)
    out = ctl(linux, "query-symbol", "name=start_kernel")
    assert out == "0x%x T start_kernel+0x0 (symbol at 0x%x, size %s)\n" % (
        syms["start_kernel"][0], syms["start_kernel"][0],
        linux.qmp.ok("query-symbol", name="start_kernel")["size"])
    out = ctl(linux, "query-guest-kernel")
    release = linux.qmp.ok("query-guest-kernel")["os-release"]["value"]
    assert re.search(r"^os release +%s +\(vmcoreinfo\)$" % re.escape(release),
                     out, re.M), out
    assert re.search(r"^kaslr offset +0x0 +\(vmcoreinfo\)$", out, re.M), out
    assert re.search(r"^kallsyms +\d+ symbols \(vmcoreinfo\)$", out, re.M), out


def nearest(by_addr, rip):
    best = max(a for a, _ in by_addr if a <= rip)
    return best, {n for a, n in by_addr if a == best}


def test_query_registers_names_rip_from_guest_kallsyms(linux):
    _, by_addr = system_map(linux.vmlinux)
    for cpu in range(1):
        r = linux.qmp.ok("query-registers", cpu=cpu, pause=True)
        rip = int(r["rip"], 16)
        name, off = r["rip-symbol"].rsplit("+", 1)
        base, names = nearest(by_addr, rip)
        assert name in names and int(off, 16) == rip - base, r["rip-symbol"]


def test_without_vmcoreinfo_banner_and_page_tables_say_the_same(linux):
    """Hide every "OSRELEASE=" in RAM (the note, vmcoreinfo_data, the
    format string), refresh: the fallback must find the same kernel."""
    release = linux.qmp.ok("query-guest-kernel")["os-release"]["value"]
    hits = [int(m["gpa"], 16) for m in linux.qmp.ok(
        "search-memory", pattern="OSRELEASE=")["matches"]]
    assert len(hits) >= 2, hits  # the note and vmcoreinfo_data at least
    for gpa in hits:
        linux.qmp.ok("write-memory", gpa="0x%x" % gpa, hex="58")  # 'X'
    try:
        f = linux.qmp.ok("query-guest-kernel", refresh=True)
        assert f["os-release"] == {"value": release, "method": "banner"}
        assert f["kaslr-offset"] == {"value": "0x0",
                                     "method": "page-tables"}
        assert f["phys-base"] == {"value": "0x0", "method": "page-tables"}
        assert f["paging-levels"] == {"value": 4, "method": "cr4"}
        assert f["build-id"] == {"value": None, "method": "unavailable"}
        assert f["kernel-page-tables"] == "vcpu0-cr3"
        assert f["vmcoreinfo"]["gpa"] is None
        assert f["kallsyms"] == {"available": False, "error": (
            "no kallsyms: the guest kernel has no VMCOREINFO (build it "
            "with CONFIG_PROC_KCORE or CONFIG_KEXEC for CRASH_CORE)")}
        # The banner is the one /proc/version prints.
        assert f["banner"] == linux.shell("cat /proc/version").rstrip("\n")
        assert f["compiler"] in f["banner"]
    finally:
        for gpa in hits:
            linux.qmp.ok("write-memory", gpa="0x%x" % gpa, hex="4f")  # 'O'
    k = linux.qmp.ok("query-guest-kernel", refresh=True)
    assert k["os-release"] == {"value": release, "method": "vmcoreinfo"}
    assert k["kallsyms"]["available"] is True


def test_gdb_monitor_names_rip_and_serves_query_symbol(linux):
    gdb = need_tool("gdb", "gdb")
    syms, by_addr = system_map(linux.vmlinux)
    p = subprocess.run([gdb, "-batch", "-nx", "-ex", "set pagination off",
                        "-ex", "target remote " + linux.gdb_sock,
                        "-ex", "monitor info",
                        "-ex", "monitor query-symbol name=init_task",
                        "-ex", "detach"],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=120)
    out = p.stdout + p.stderr
    m = re.search(r"at RIP 0x([0-9a-f]+) <([A-Za-z0-9_.]+)\+0x([0-9a-f]+)>",
                  out)
    assert m, out
    base, names = nearest(by_addr, int(m.group(1), 16))
    assert m.group(2) in names and int(m.group(3), 16) == \
        int(m.group(1), 16) - base, out
    assert "0x%x D init_task+0x0" % syms["init_task"][0] in out, out
    # gdb let go: the guest runs on.
    assert linux.qmp.ok("query-status")["running"] is True


def test_gdb_monitor_serves_the_guest_os_views(linux):
    """The OS views through gdb's monitor, with gdb holding every vCPU:
    the same task list, log and stacks as the control socket gives."""
    gdb = need_tool("gdb", "gdb")
    got = linux.qmp.ok("guest-ps")
    assert got["types"].startswith("guest RAM at 0xffffffff8"), got["types"]
    ps = got["tasks"]
    p = subprocess.run([gdb, "-batch", "-nx", "-ex", "set pagination off",
                        "-ex", "target remote " + linux.gdb_sock,
                        "-ex", "monitor guest-ps",
                        "-ex", "monitor guest-dmesg last=1",
                        "-ex", "monitor guest-backtrace pid=2",
                        "-ex", "monitor read-symbol name=init_uts_ns",
                        "-ex", "detach"],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=120)
    out = p.stdout + p.stderr
    rows = {int(m.group(1)): m.group(2) for m in re.finditer(
        r"^>?\s+(\d+)\s+\d+\s+\d+ \S\s+\d+\s+\S+ (\S+)", out, re.M)}
    for t in ps:
        if t["pid"] in (1, 2):
            assert rows.get(t["pid"]) == t["comm"], out
    last = linux.qmp.ok("guest-dmesg", last=1)["records"][0]["line"]
    assert last in out, out
    # kthreadd sleeps in schedule(), called from kthreadd()
    assert re.search(r"pid 2 \(kthreadd\)[^\n]*\n(?: #\d+ .*\n)*"
                     r" #\d+\s+0x[0-9a-f]+ schedule\+0x", out), out
    assert "kthreadd+0x" in out, out
    assert "init_uts_ns at 0x" in out and "|Linux...." in out, out
    assert linux.qmp.ok("query-status")["running"] is True


def test_dead_guest_is_still_identified(linux):
    """Last: wreck the IDT, so the next interrupt triple-faults; under
    --on-fatal pause (implied by --api-sock) the dead guest stays and its
    kernel and symbols are still read from RAM."""
    linux.qmp.ok("stop")
    regs = linux.qmp.ok("query-registers", cpu=0)
    idt = linux.qmp.ok("translate", cpu=0, gva=regs["idtr"]["base"])
    linux.qmp.ok("write-memory", gpa=idt["gpa"], hex="00" * 4096)
    linux.qmp.ok("cont")
    deadline = 60
    t0 = time.time()
    while time.time() - t0 < deadline:
        st = linux.qmp.ok("query-status")
        if st["status"] != "running":
            break
        time.sleep(0.2)
    assert st["status"] == "shutdown", st  # the triple fault's run state
    k = linux.qmp.ok("query-guest-kernel")
    assert k["os-release"]["method"] == "vmcoreinfo"
    assert k["kallsyms"]["available"] is True
    s = linux.qmp.ok("query-symbol", name="start_kernel")
    assert int(s["address"], 16) == system_map(linux.vmlinux)[0][
        "start_kernel"][0]
    linux.qmp.execute("quit")
    r = linux.finish()
    # The death diagnostic names RIP from the guest's kallsyms.
    assert re.search(r"RIP [0-9a-f]{16} <[A-Za-z0-9_.]+\+0x[0-9a-f]+>",
                     r.err), r.err[-3000:]


def test_a_guest_that_is_not_linux_gets_a_clear_error():
    d = tempfile.mkdtemp(prefix="ksos", dir="/tmp")
    sock = os.path.join(d, "api.sock")
    g = Running("--kernel", TESTKERNEL, "--append", "spin", "--api-sock",
                sock)
    try:
        assert wait_for_socket(sock)
        c = QMP(sock)
        r = c.execute("query-guest-kernel")
        assert r["error"]["desc"] == (
            "no Linux kernel found in guest RAM: no valid VMCOREINFO (0 "
            "candidates rejected) and no \"Linux version\" banner"), r
        r = c.execute("query-symbol", name="start_kernel")
        assert r["error"]["desc"].startswith("no Linux kernel found"), r
        c.execute("quit")
        c.close()
    finally:
        if g.p.poll() is None:
            g.p.kill()
        g.finish(timeout=10)
        shutil.rmtree(d, ignore_errors=True)
