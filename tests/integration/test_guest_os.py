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
import time

import pytest

from conftest import KVMSCOPE, QMP, ROOT, Running, wait_for_socket

BOOT_TIMEOUT = 300
START, END = "KVMSCOPE-GUEST-VIEW-START", "KVMSCOPE-GUEST-VIEW-END"
# What the guest says about itself, between markers.
# The shell keeps a marker only it computes ($((6*7)) is not in the
# command's text) and waits for a child sleep.
MARK = "KVMSCOPE-PID-MARK-42"
GUEST_COMMAND = ("M=KVMSCOPE-PID-MARK-$((6*7)); echo %s; dmesg; echo STAT; "
                 "cat /proc/[0-9]*/stat; echo %s; sleep 100000; echo $M"
                 % (START, END))


def built(script):
    out = subprocess.run([str(ROOT / "guests/linux" / script)], check=True,
                         capture_output=True, text=True, timeout=3600)
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def linux(tmp_path_factory):
    vmlinux, initrd = built("build-kernel.sh"), built("build-initramfs.sh")
    sock = tmp_path_factory.mktemp("guest-os") / "vm.sock"
    run = base64.b64encode(GUEST_COMMAND.encode()).decode()
    # --symbols: its .BTF gives the types (and its DWARF the symbols)
    # instead of the guest's own; test_guest_kernel.py covers RAM alone.
    g = Running("--kernel", vmlinux, "--initrd", initrd, "--mem", "256M",
                "--append", "console=ttyS0 panic=-1 quiet rodata=off "
                "kvmscope.run=" + run, "--api-sock", sock,
                "--symbols", vmlinux)
    try:
        assert wait_for_socket(sock), g.finish(signal.SIGKILL)
        assert g.wait_for(END + "\r\n", timeout=BOOT_TIMEOUT) or \
            g.wait_for(END + "\n", timeout=1), g.finish(signal.SIGKILL)
        out = g.out.decode(errors="replace").replace("\r\n", "\n")
        before = out.rsplit(END, 1)[0].rsplit(START, 1)[1]
        log, stat = before.split("\nSTAT\n", 1)
        guest_dmesg = [l for l in log.splitlines()
                       if re.match(r"\[ *\d+\.\d{6}\] ", l)]
        # /proc/PID/stat: "pid (comm) state ppid ..."
        procs = {}
        for m in re.finditer(r"^(\d+) \((.*?)\) (\S) (\d+) ", stat, re.M):
            procs[int(m.group(1))] = (m.group(2), m.group(3),
                                      int(m.group(4)))
        q = QMP(sock)
        yield {"qmp": q, "sock": sock, "dmesg": guest_dmesg, "out": out,
               "procs": procs, "vmlinux": vmlinux}
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


def test_guest_ps_matches_proc(linux):
    got = linux["qmp"].ok("guest-ps")
    assert got["types"] == "--symbols " + linux["vmlinux"], got["types"]
    tasks = {t["pid"]: t for t in got["tasks"]}
    procs = linux["procs"]
    assert len(procs) > 10, procs
    # Every process the guest listed that still exists (cat has exited)
    # has the same name and parent; kernel threads their state too.
    common = [p for p in procs if p in tasks]
    assert len(common) >= len(procs) - 2, (procs, tasks)
    for pid in common:
        comm, state, ppid = procs[pid]
        if comm in ("sh", "cat"):
            continue  # cat has exited, the shell runs on
        # /proc adds a busy workqueue worker's current work ("-events")
        if comm.startswith("kworker/") and "-" in comm:
            comm = comm.split("-", 1)[0]
        # ... and a kernel thread's full name, past comm's 15 characters
        name = tasks[pid]["comm"]
        assert name == comm or (len(name) == 15 and comm.startswith(name)), \
            (pid, comm, tasks[pid])
        assert tasks[pid]["ppid"] == ppid, (pid, tasks[pid])
        assert tasks[pid]["tgid"] == pid
        # threads that only ever sleep (rcu_sched, kworkers wake up)
        if comm in ("kthreadd", "rcu_gp", "rcu_par_gp", "mm_percpu_wq"):
            assert tasks[pid]["state"] == state, (pid, tasks[pid])
    assert tasks[0]["comm"] == "swapper/0" and tasks[1]["comm"] == "init"
    # the shell starts sleep (a fork and exec are seconds of emulated
    # kernel work here), which then sleeps
    deadline = time.time() + 60
    while time.time() < deadline:
        sleep = [t for t in got["tasks"] if t["comm"] == "sleep"]
        if sleep and sleep[0]["state"] == "S":
            break
        time.sleep(0.5)
        got = linux["qmp"].ok("guest-ps")
    assert len(sleep) == 1 and sleep[0]["state"] == "S", [
        (t["pid"], t["comm"], t["state"]) for t in got["tasks"] if t["mm"]]
    # its parent is the shell that ran cat, which waits for it
    shell = tasks[sleep[0]["ppid"]]
    assert procs[shell["pid"]][0] == "sh" and shell["ppid"] == 1, shell
    roots = {t["pgd"] for t in got["tasks"] if t["mm"]}
    assert len(roots) == len({t["mm"] for t in got["tasks"] if t["mm"]})
    assert all(int(p, 16) % 4096 == 0 for p in roots), roots
    # kernel threads have no mm; each vCPU runs exactly one task
    assert tasks[2]["mm"] is None and tasks[2]["pgd"] is None
    running = [t["running-on"] for t in got["tasks"]
               if t["running-on"] is not None]
    assert running == [0], running
    text = ctl(linux["sock"], "guest-ps")
    assert text.splitlines()[0].split() == [
        "PID", "TGID", "PPID", "ST", "CPU", "VCPU", "COMM", "TASK", "PGD"]
    assert re.search(r"^ +1 +1 +0 S +0 +- +init +0xffff", text, re.M), text


def shell_pid(linux):
    return [p for p, (comm, _, ppid) in linux["procs"].items()
            if comm == "sh" and ppid == 1][0]


def test_types_come_from_the_symbols_file_not_ram(linux):
    """With --symbols vmlinux the guest's own BTF is not needed: wipe its
    header in RAM and every typed view still works."""
    q = linux["qmp"]
    start = int(q.ok("query-symbol", name="__start_BTF")["address"], 16)
    q.ok("stop")
    old = q.ok("read-memory", cpu=0, gva="0x%x" % start, len=24)
    q.ok("write-memory", cpu=0, gva="0x%x" % start, hex="00" * 24)
    try:
        ps = q.ok("guest-ps")
        assert {1, 2} <= {t["pid"] for t in ps["tasks"]}
        assert ps["types"] == "--symbols " + linux["vmlinux"]
        t = q.ok("read-struct", type="task_struct", symbol="init_task")
        assert [f["value"] for f in t["fields"] if f["name"] == "comm"] \
            == ["swapper/0"], t
    finally:
        q.ok("write-memory", cpu=0, gva="0x%x" % start, data=old["data"])
        q.ok("cont")


def test_pid_address_space_search_translate_read(linux):
    q, pid = linux["qmp"], shell_pid(linux)
    q.ok("stop")
    try:
        found = q.ok("search-memory", pattern=MARK, pid=pid)
        users = [m for m in found["matches"]
                 if any(int(v, 16) < 1 << 47 for v in m.get("gvas", []))]
        assert users, found
        gpa = users[0]["gpa"]
        gva = [v for v in users[0]["gvas"] if int(v, 16) < 1 << 47][0]
        t = q.ok("translate", pid=pid, gva=gva)
        assert t["pid"] == pid and t["comm"] == "sh", t
        assert t["status"] == "ok" and t["gpa"] == gpa, t
        assert t["permissions"]["user"] is True
        # the shell's tables are not the ones vCPU 0 runs on (it idles)
        assert t["kvm_translate"] is None and t["agrees"] is None, t
        r = q.ok("read-memory", pid=pid, gva=gva, len=len(MARK))
        assert base64.b64decode(r["data"]) == MARK.encode(), r
        # a kernel thread has no address space of its own
        e = q.execute("translate", pid=2, gva=gva)["error"]["desc"]
        assert e == ("pid 2 (kthreadd) is a kernel thread: it has no "
                     "address space of its own; use cpu=N for kernel "
                     "addresses"), e
        e = q.execute("translate", pid=99999, gva=gva)["error"]["desc"]
        assert e == ("no task with pid 99999 in the guest kernel's task "
                     "list (guest-ps lists them)"), e
    finally:
        q.ok("cont")


def symbols(bt):
    return [f["symbol"].split("+")[0] for f in bt["frames"] if f["symbol"]]


def test_guest_backtrace_of_the_idle_vcpu_and_sleeping_tasks(linux):
    q = linux["qmp"]
    # vCPU 0 idles (the shell and sleep wait): the idle loop from boot.
    # It may be caught in a timer interrupt (the walk then crosses the
    # encoded pt_regs into the idle loop) or, just after boot, still in
    # the shell's fork of sleep: sample until it is in the idle task.
    seen = []
    for _ in range(40):
        bt = q.ok("guest-backtrace", cpu=0)
        names = symbols(bt)
        if "do_idle" in names:
            break
        seen.append(names)
        time.sleep(0.25)
    assert "do_idle" in names and "start_kernel" in names, (bt, seen)
    assert bt["stop"] == "the stack's end (frame pointer 0)", bt
    kinds = [f["frame"] for f in bt["frames"]]
    if "pt_regs" in kinds:  # an interrupt: its pt_regs leads into idle
        after = symbols({"frames": bt["frames"][kinds.index("pt_regs"):]})
        assert "do_idle" in after and "start_kernel" in after, bt
    assert bt["frames"][0]["fp"] is None
    # init waits for its child; sleep sleeps: both through schedule()
    bt = q.ok("guest-backtrace", pid=1)
    names = symbols(bt)
    assert bt["comm"] == "init" and names[:2] == ["__schedule", "schedule"], bt
    assert "do_wait" in names and "do_syscall_64" in names, bt
    # the entry code's encoded pt_regs (the syscall arrives through a page
    # fault on this host) says user mode; past SYSCALL's own entry, which
    # encodes none, the frame pointer is whatever user space had
    assert bt["stop"] in ("the entry from user space (pt_regs of user mode)",
                          "the entry from user space (a user frame pointer)"
                          ), bt
    bt = q.ok("guest-backtrace", pid=2)
    assert symbols(bt)[-2:] == ["kthreadd", "ret_from_fork"], bt
    text = ctl(linux["sock"], "guest-backtrace", "pid=2")
    assert text.splitlines()[0] == "pid 2 (kthreadd):", text
    assert re.search(r"^ #1  0xffffffff[0-9a-f]{8} schedule\+0x[0-9a-f]+$",
                     text, re.M), text
    e = q.execute("guest-backtrace")["error"]["desc"]
    assert e == "give cpu=N (a vCPU's stack) or pid=N (a task's), one of them"


def field(fields, name):
    return [f for f in fields if f["name"] == name][0]["value"]


def test_read_struct_and_read_symbol(linux):
    q = linux["qmp"]
    # init_task is pid 0, swapper/0, and its tasks list points at init
    t = q.ok("read-struct", type="task_struct", symbol="init_task")
    assert t["type"] == "struct task_struct" and t["size"] > 1000, t
    assert field(t["fields"], "pid") == 0
    assert field(t["fields"], "comm") == "swapper/0"
    ps = {p["pid"]: p for p in q.ok("guest-ps")["tasks"]}
    assert t["addr"] == ps[0]["task"]
    # the same task by address: pid 1's comm
    t1 = q.ok("read-struct", type="struct task_struct", addr=ps[1]["task"])
    assert field(t1["fields"], "comm") == "init"
    assert field(t1["fields"], "pid") == 1
    # nested members: init_uts_ns.name.release is the kernel's release,
    # which the banner in the guest's own log names too
    u = q.ok("read-symbol", name="init_uts_ns", type="uts_namespace")
    name = field(u["fields"], "name")
    release = field(name, "release")
    assert field(name, "sysname") == "Linux"
    assert ("Linux version %s " % release) in linux["dmesg"][0]
    # a variable's bytes, the same as vCPU 0 reads at that address;
    # jiffies starts 300 s before wrapping 32 bits (INITIAL_JIFFIES)
    q.ok("stop")
    try:
        a = q.ok("read-symbol", name="jiffies_64", len=8)
        m = q.ok("read-memory", cpu=0, gva=a["addr"], len=8)
    finally:
        q.ok("cont")
    assert a["type-char"] in "DdBb" and a["len"] == 8
    assert a["data"] == m["data"], (a, m)
    jiffies = int.from_bytes(base64.b64decode(a["data"]), "little")
    assert (1 << 32) - 300 * 1000 < jiffies < (1 << 32) + 3600 * 1000
    text = ctl(linux["sock"], "read-struct", "type=uts_namespace",
               "symbol=init_uts_ns")
    assert re.search(r"^    \[0x0\] char\[65\] sysname = Linux$", text,
                     re.M), text
    e = q.execute("read-struct", type="no_such_struct", symbol="init_task")
    assert e["error"]["desc"] == "the guest's BTF has no struct " \
        "no_such_struct"
    e = q.execute("read-symbol", name="no_such_symbol")
    assert e["error"]["desc"] == ("the guest kernel's kallsyms has no "
                                  "no_such_symbol")


def test_dump_opens_in_drgn_and_crash(linux, tmp_path):
    vmlinux = built("build-kernel.sh")
    core = tmp_path / "guest.core"
    d = linux["qmp"].ok("dump-guest-memory", protocol="file:%s" % core)
    assert d["vmcoreinfo"] is True and d["vcpus"] == 1 and d["segments"] == 2
    assert core.stat().st_size == d["size"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    # drgn walks the kernel's own structures in the dump
    script = tmp_path / "ps.py"
    script.write_text(
        "from drgn.helpers.linux.pid import for_each_task\n"
        "print(prog['init_uts_ns'].name.release.string_().decode())\n"
        "for t in for_each_task(prog):\n"
        "    print(t.pid.value_(), t.comm.string_().decode())\n")
    p = subprocess.run(["drgn", "-q", "-c", str(core), "-s", vmlinux,
                        str(script)], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    ps = {int(l.split()[0]): l.split()[1] for l in lines[1:]}
    assert ps[1] == "init" and ps[2] == "kthreadd", p.stdout
    theirs = linux["qmp"].ok("guest-ps")["tasks"]
    assert set(ps) <= {t["pid"] for t in theirs}
    # crash opens it: the release, and the log it decodes itself
    p = subprocess.run(["crash", "-s", vmlinux, str(core)],
                       input="sys\nlog\nquit\n", capture_output=True,
                       text=True, timeout=300)
    assert re.search(r"RELEASE: " + re.escape(lines[0]), p.stdout), p.stdout
    assert linux["dmesg"][0] in p.stdout, p.stdout[-3000:]
    e = linux["qmp"].execute("dump-guest-memory", protocol="tcp:1")
    assert e["error"]["desc"] == ("protocol 'tcp:1' is not supported: use "
                                  "file:PATH")
