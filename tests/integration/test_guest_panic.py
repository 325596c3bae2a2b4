"""A guest kernel that panics (`echo c > /proc/sysrq-trigger`), seen from
outside: the GUEST_PANICKED event, a VM kept paused for inspection, the
panic in its kernel log and on the panicking vCPU's stack, and a dump of
the dead guest that Debian's crash, drgn and gdb read.

One guest boots for the module (~15-50 s here). It arms itself, waits for
a line on its console, so that the test is connected to the control socket
before the panic, then triggers the crash.
"""
import base64
import re
import signal
import subprocess
import time

import pytest

from conftest import KVMSCOPE, QMP, ROOT, Running, wait_for_socket

BOOT_TIMEOUT = 300
ARMED = "KVMSCOPE-PANIC-ARMED"
MARK = "KVMSCOPE-PANIC-PID-MARK"
# The shell that writes to sysrq-trigger keeps a marker in its memory,
# so the dump's task list can be checked against the shell's own PID.
GUEST_COMMAND = ("M=%s; echo %s $$; read go; echo c > /proc/sysrq-trigger; "
                 "echo $M" % (MARK, ARMED))


def built(script):
    out = subprocess.run([str(ROOT / "guests/linux" / script)], check=True,
                         capture_output=True, text=True, timeout=3600)
    return out.stdout.strip().splitlines()[-1]


def wait_event(q, name, timeout):
    deadline = time.time() + timeout
    while not any(e["event"] == name for e in q.events):
        assert time.time() < deadline, q.events
        q.s.settimeout(max(0.1, deadline - time.time()))
        r = q.recv()
        if "event" in r:
            q.events.append(r)
    return [e for e in q.events if e["event"] == name][0]


@pytest.fixture(scope="module")
def panicked(tmp_path_factory):
    vmlinux, initrd = built("build-kernel.sh"), built("build-initramfs.sh")
    tmp = tmp_path_factory.mktemp("guest-panic")
    sock = tmp / "vm.sock"
    run = base64.b64encode(GUEST_COMMAND.encode()).decode()
    g = Running("--kernel", vmlinux, "--initrd", initrd, "--mem", "256M",
                "--append", "console=ttyS0 quiet rodata=off "
                "kvmscope.run=" + run, "--api-sock", sock,
                stdin=subprocess.PIPE)
    try:
        assert wait_for_socket(sock), g.finish(signal.SIGKILL)
        m = g.wait_for_re(ARMED + r" (\d+)\r?\n", timeout=BOOT_TIMEOUT)
        assert m, g.finish(signal.SIGKILL)
        q = QMP(sock)
        g.p.stdin.write(b"go\n")
        g.p.stdin.flush()
        ev = wait_event(q, "GUEST_PANICKED", timeout=120)
        yield {"qmp": q, "sock": sock, "event": ev, "g": g, "tmp": tmp,
               "vmlinux": vmlinux, "shell_pid": int(m.group(1))}
        q.close()
    finally:
        if g.p.poll() is None:
            g.finish(signal.SIGKILL)


def test_panic_event_and_the_vm_stays_paused(panicked):
    ev = panicked["event"]
    assert ev["data"]["action"] == "pause", ev
    st = panicked["qmp"].ok("query-status")
    assert st["status"] == "guest-panicked" and st["running"] is False, st
    # cont is refused: the guest is dead, not stopped
    r = panicked["qmp"].execute("cont")
    assert "error" in r, r


def test_guest_dmesg_shows_the_panic(panicked):
    lines = [r["text"] for r in
             panicked["qmp"].ok("guest-dmesg")["records"]]
    assert "sysrq: Trigger a crash" in lines, lines[-10:]
    assert "Kernel panic - not syncing: sysrq triggered crash" in lines, \
        lines[-10:]


def test_guest_backtrace_shows_the_sysrq_path(panicked):
    bt = panicked["qmp"].ok("guest-backtrace", cpu=0)
    # (gcc moves unlikely paths into NAME.cold: the same function)
    names = [(f["symbol"] or "").split("+")[0].replace(".cold", "")
             for f in bt["frames"]]
    # panic() called from the sysrq handler, reached by the shell's write
    i = names.index("sysrq_handle_crash")
    assert "panic" in names[:i], names
    assert names[i:i + 3] == ["sysrq_handle_crash", "__handle_sysrq",
                              "write_sysrq_trigger"], names
    assert "ksys_write" in names[i:], names


def test_dump_of_the_dead_guest_in_crash_drgn_and_gdb(panicked):
    q, tmp, vmlinux = panicked["qmp"], panicked["tmp"], panicked["vmlinux"]
    core = tmp / "panicked.core"
    d = q.ok("dump-guest-memory", paging=False, protocol="file:%s" % core)
    assert d["vmcoreinfo"] is True and core.stat().st_size == d["size"]
    shell = panicked["shell_pid"]

    # crash: sys names the panic, bt -a shows the sysrq path, ps lists
    # init and the shell that triggered it, log has the panic line
    p = subprocess.run(["crash", "-s", vmlinux, str(core)],
                       input="sys\nbt -a\nps\nlog\nquit\n",
                       capture_output=True, text=True, timeout=300)
    out = p.stdout
    assert re.search(r'PANIC: "Kernel panic - not syncing: sysrq triggered '
                     r'crash"', out), out[:3000]
    # crash's frame-pointer walk shows the panicking task's path (it
    # folds sysrq_handle_crash, which panic() was tail-called from)
    bt = re.search(r"PID: %d\s+TASK: [0-9a-f]+\s+CPU: 0\s+COMMAND: \"sh\"\n"
                   r"((?: *#\d+ .*\n)+)" % shell, out)
    assert bt, out[:6000]
    frames = re.findall(r"#\d+ \[[0-9a-f]+\] (\S+) at ", bt.group(1))
    frames = [f.replace(".cold", "") for f in frames]
    assert frames[0] == "panic", frames
    assert frames[1:3] == ["__handle_sysrq", "write_sysrq_trigger"], frames
    assert "ksys_write" in frames, frames
    ps = {int(m.group(1)): m.group(2) for m in re.finditer(
        r"^>?\s+(\d+)\s+\d+\s+\d+\s+[0-9a-f]+\s+\S+\s+[\d.]+\s+\d+\s+\d+"
        r"\s+(\S+)$", out, re.M)}
    assert ps.get(1) == "init" and ps.get(2) == "[kthreadd]", out[:6000]
    assert ps.get(shell) == "sh", (shell, ps)
    assert "Kernel panic - not syncing: sysrq triggered crash" in out

    # drgn: the task list, the crashed thread (the shell: the dump's
    # PRSTATUS carries the PID of the task each vCPU ran, as kdump's does)
    # and its stack, found by that PID
    script = tmp / "panic.py"
    script.write_text(
        "from drgn.helpers.linux.pid import find_task, for_each_task\n"
        "print(sorted(t.pid.value_() for t in for_each_task(prog)))\n"
        "print(prog.crashed_thread().tid)\n"
        "for f in prog.stack_trace(find_task(prog, %d)):\n"
        "    print(f.name)\n" % shell)
    p = subprocess.run(["drgn", "-q", "-c", str(core), "-s", vmlinux,
                        str(script)], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    pids = eval(lines[0], {})
    assert 1 in pids and shell in pids, lines[0]
    assert int(lines[1]) == shell, p.stdout
    names = lines[2:]
    i = names.index("panic")
    assert names[i:i + 4] == ["panic", "sysrq_handle_crash",
                              "__handle_sysrq", "write_sysrq_trigger"], names

    # gdb reads a variable of the dead kernel from the core
    p = subprocess.run(["gdb", "-batch", "-nx", "-ex",
                        "print init_uts_ns.name.release", vmlinux,
                        str(core)], capture_output=True, text=True,
                       timeout=300)
    release = q.ok("query-guest-kernel")["os-release"]["value"]
    assert '"%s"' % release in p.stdout, p.stdout + p.stderr


def test_quit_ends_with_the_panic_status(panicked):
    q, g = panicked["qmp"], panicked["g"]
    q.execute("quit")
    r = g.finish(timeout=60)
    assert r.status == 18, (r.status, r.err)
    # the panic line and the panicking vCPU's backtrace on stderr
    assert "sysrq triggered crash" in r.err, r.err
    assert "sysrq_handle_crash" in r.err, r.err
