"""Kernel types from DWARF: the default Linux guest with --symbols given a
copy of its vmlinux whose .BTF section is removed (objcopy), so the types
can only come from the file's DWARF, and the guest's own BTF in RAM wiped
as well. guest-ps and read-struct then say what they say with BTF: a
second guest of the same kernel and command line runs with the original
vmlinux (BTF) at the same time, and the two are compared; the DWARF one
also against the guest's own /proc.
"""
import base64
import re
import signal
import subprocess
import time

import pytest

from conftest import QMP, ROOT, Running, wait_for_socket

BOOT_TIMEOUT = 400
START, END = "KVMSCOPE-DWARF-START", "KVMSCOPE-DWARF-END"
COMMAND = "echo %s; cat /proc/[0-9]*/stat; echo %s; sleep 100000" % (START,
                                                                      END)


def built(script):
    out = subprocess.run([str(ROOT / "guests/linux" / script)], check=True,
                         capture_output=True, text=True, timeout=3600)
    return out.stdout.strip().splitlines()[-1]


def boot(vmlinux, initrd, symbols, sock):
    run = base64.b64encode(COMMAND.encode()).decode()
    return Running("--kernel", vmlinux, "--initrd", initrd, "--mem", "256M",
                   "--append", "console=ttyS0 panic=-1 quiet rodata=off "
                   "kvmscope.run=" + run, "--api-sock", sock,
                   "--symbols", symbols)


def ready(g, sock):
    assert wait_for_socket(sock), g.finish(signal.SIGKILL)
    assert g.wait_for(END + "\r\n", timeout=BOOT_TIMEOUT) or \
        g.wait_for(END + "\n", timeout=1), g.finish(signal.SIGKILL)
    out = g.out.decode(errors="replace").replace("\r\n", "\n")
    stat = out.rsplit(END, 1)[0].rsplit(START, 1)[1]
    procs = {}
    for m in re.finditer(r"^(\d+) \((.*?)\) (\S) (\d+) ", stat, re.M):
        procs[int(m.group(1))] = (m.group(2), int(m.group(4)))
    return procs


@pytest.fixture(scope="module")
def guests(tmp_path_factory):
    vmlinux, initrd = built("build-kernel.sh"), built("build-initramfs.sh")
    tmp = tmp_path_factory.mktemp("dwarf")
    dwarf = tmp / "vmlinux-dwarf-only"
    subprocess.run(["objcopy", "--remove-section=.BTF", vmlinux, str(dwarf)],
                   check=True, timeout=300)
    sections = subprocess.run(["readelf", "-S", "-W", str(dwarf)], check=True,
                              capture_output=True, text=True).stdout
    assert " .BTF " not in sections and " .debug_info " in sections
    socks = {"btf": tmp / "btf.sock", "dwarf": tmp / "dwarf.sock"}
    # both boot at once: a boot is tens of seconds of emulated kernel
    gs = {"btf": boot(vmlinux, initrd, vmlinux, socks["btf"]),
          "dwarf": boot(vmlinux, initrd, str(dwarf), socks["dwarf"])}
    try:
        procs = {k: ready(g, socks[k]) for k, g in gs.items()}
        qs = {k: QMP(s) for k, s in socks.items()}
        yield {"qmp": qs, "procs": procs, "dwarf": str(dwarf),
               "vmlinux": vmlinux}
        for q in qs.values():
            q.close()
    finally:
        for g in gs.values():
            g.finish(signal.SIGKILL)


def wipe_ram_btf(q):
    """The guest's own BTF header zeroed: RAM cannot be the source."""
    start = int(q.ok("query-symbol", name="__start_BTF")["address"], 16)
    q.ok("write-memory", cpu=0, gva="0x%x" % start, hex="00" * 24)


def test_guest_ps_from_dwarf_matches_btf_and_proc(guests):
    q, qb = guests["qmp"]["dwarf"], guests["qmp"]["btf"]
    q.ok("stop")
    qb.ok("stop")
    try:
        wipe_ram_btf(q)
        t0 = time.monotonic()
        ps = q.ok("guest-ps")
        first = time.monotonic() - t0
        t0 = time.monotonic()
        again = q.ok("guest-ps")
        repeat = time.monotonic() - t0
        t0 = time.monotonic()
        btf = qb.ok("guest-ps")
        with_btf = time.monotonic() - t0
    finally:
        q.ok("cont")
        qb.ok("cont")
    print("first guest-ps with DWARF types %.1f ms, repeat %.1f ms, "
          "first with BTF %.1f ms" % (first * 1e3, repeat * 1e3,
                                      with_btf * 1e3))
    assert ps["types"] == "--symbols %s (DWARF)" % guests["dwarf"]
    assert btf["types"] == "--symbols " + guests["vmlinux"]
    assert again["tasks"] == ps["tasks"]
    tasks = {t["pid"]: t for t in ps["tasks"]}
    # the guest's own /proc, read just before: every process still there
    # has the same name and parent (cat has exited, the shell became sleep)
    procs = guests["procs"]["dwarf"]
    assert len(procs) > 10, procs
    common = [p for p in procs if p in tasks]
    assert len(common) >= len(procs) - 2, (procs, tasks)
    for pid in common:
        comm, ppid = procs[pid]
        if comm in ("sh", "cat"):
            continue
        if comm.startswith("kworker/") and "-" in comm:
            comm = comm.split("-", 1)[0]
        name = tasks[pid]["comm"]
        assert name == comm or (len(name) == 15 and comm.startswith(name)), \
            (pid, comm, tasks[pid])
        assert tasks[pid]["ppid"] == ppid and tasks[pid]["tgid"] == pid
    assert tasks[0]["comm"] == "swapper/0" and tasks[1]["comm"] == "init"
    # the BTF guest, same kernel and command line: the same kernel
    # threads (kworkers come and go with timing; threads started in
    # parallel may swap pids, the first ones may not), and every column
    # means the same (no mm for a kernel thread)
    def threads(p):
        return sorted((t["comm"], t["ppid"], t["mm"]) for t in p["tasks"]
                      if t["ppid"] == 2 and
                      not t["comm"].startswith("kworker"))

    def first(p):
        return [(t["pid"], t["comm"], t["ppid"]) for t in p["tasks"]
                if t["pid"] <= 8 and not t["comm"].startswith("kworker")]
    assert threads(ps) == threads(btf) and len(threads(ps)) > 5, \
        (set(threads(ps)) ^ set(threads(btf)))
    assert first(ps) == first(btf) and len(first(ps)) >= 4, first(ps)
    assert {t["pgd"] for t in ps["tasks"] if t["mm"]} != {None}


def layout(fields):
    """A read-struct field list without its values: names, types, offsets."""
    return [(f["name"], f["type"], f["offset"],
             layout(f["value"]) if isinstance(f["value"], list) and
             f["value"] and isinstance(f["value"][0], dict) and
             "offset" in f["value"][0] else None) for f in fields]


def values(fields, names):
    return {f["name"]: f["value"] for f in fields if f["name"] in names}


@pytest.mark.parametrize("type_, symbol, stable", [
    ("task_struct", "init_task",
     ["comm", "pid", "tgid", "prio", "static_prio", "normal_prio", "policy",
      "stack", "mm", "real_parent", "exit_signal"]),
    ("uts_namespace", "init_uts_ns", ["name", "user_ns"]),
    ("mm_struct", "init_mm", None),
])
def test_read_struct_from_dwarf_prints_what_btf_prints(guests, type_,
                                                       symbol, stable):
    q, qb = guests["qmp"]["dwarf"], guests["qmp"]["btf"]
    got = q.ok("read-struct", type=type_, symbol=symbol)
    ref = qb.ok("read-struct", type=type_, symbol=symbol)
    assert got["size"] == ref["size"] and got["addr"] == ref["addr"]
    # every member, nested ones too: same name, C type and offset
    assert layout(got["fields"]) == layout(ref["fields"])
    assert len(got["fields"]) > 3
    if stable is None:  # init_mm: its page tables, its name list
        stable = ["pgd", "mmap_base", "task_size", "start_code", "end_code",
                  "start_data", "end_data", "brk"]
        stable = [f["name"] for f in ref["fields"] if f["name"] in stable]
        assert "pgd" in stable
    mine, theirs = values(got["fields"], stable), values(ref["fields"],
                                                         stable)
    assert set(mine) == set(stable), (stable, mine)
    assert mine == theirs
    if symbol == "init_task":
        assert mine["comm"] == "swapper/0"
    if symbol == "init_uts_ns":
        release = values(mine["name"], ["sysname", "release"])
        assert release["sysname"] == "Linux"
        assert release["release"].startswith("6.1."), release


def test_missing_struct_names_the_dwarf(guests):
    q = guests["qmp"]["dwarf"]
    e = q.execute("read-struct", type="no_such_struct", symbol="init_task")
    assert e["error"]["desc"] == ("--symbols %s (DWARF) has no struct "
                                  "no_such_struct" % guests["dwarf"])
