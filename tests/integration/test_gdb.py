"""The gdb stub against the test guest: real gdb in batch mode, real KVM.

kvmscope runs the test guest's `gdb N` scenario (N calls of gdb_target(),
each adding one to gdb_counter, then exit 0: status 1) with --gdb on a unix
socket and --paused; gdb loads the guest's ELF64 with its symbols. Every
test bounds gdb and kvmscope with timeouts, and kvmscope is killed whatever
happens.
"""
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD, QMP, TESTKERNEL, Running, wait_for_socket

ELF64 = BUILD / "guests" / "testkernel" / "testkernel.elf64"
GDB = shutil.which("gdb")
GUEST_OK = 1  # the scenario's exit 0 through the debug-exit port

pytestmark = pytest.mark.usefixtures("need_gdb")  # missing gdb: a failure


class GdbVM:
    """kvmscope stopped at the guest's first instruction, waiting for gdb."""

    def __init__(self, append, cpus, paused=True, api=False):
        # Short path: unix socket names are limited to 107 bytes.
        self.dir = tempfile.mkdtemp(prefix="ksgdb", dir="/tmp")
        self.sock = os.path.join(self.dir, "gdb.sock")
        self.api = os.path.join(self.dir, "api.sock") if api else None
        self.result = None
        args = ["--kernel", TESTKERNEL, "--append", append, "--cpus", cpus,
                "--gdb", "unix:" + self.sock]
        if paused:
            args.append("--paused")
        if api:
            args += ["--api-sock", self.api]
        self.vm = Running(*args)
        for path in (self.sock, self.api):
            if path and not wait_for_socket(path):
                res = self.vm.finish(sig=signal.SIGKILL, timeout=10)
                pytest.fail("no socket %s: %r" % (path, res))

    def gdb(self, *commands, timeout=60, debug_remote=False):
        """Run gdb -batch with these commands; stdout + stderr."""
        args = [GDB, "-batch", "-nx", "-ex", "set pagination off",
                "-ex", "set confirm off", "-ex", "set width 0"]
        if debug_remote:
            args += ["-ex", "set debug remote 1"]
        args += ["-ex", "target remote " + self.sock]
        for c in commands:
            args += ["-ex", c]
        args.append(str(ELF64))
        p = subprocess.run(args, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout)
        return p.stdout.decode(errors="replace") + \
            p.stderr.decode(errors="replace")

    def finish(self, timeout=30):
        self.result = self.vm.finish(timeout=timeout)
        return self.result

    def close(self):
        if self.result is None:
            if self.vm.p.poll() is None:
                self.vm.p.kill()
            self.vm.finish(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def gdb_vm(append="gdb 5", cpus=1, **kw):
    vm = GdbVM(append, cpus, **kw)
    try:
        yield vm
    finally:
        vm.close()


def disassembly(out):
    """Instruction addresses from gdb's `disassemble` output."""
    return [int(m.group(1), 16) for m in re.finditer(
        r"^(?:=>)?\s+0x([0-9a-f]+) <\+\d+>:", out, re.M)]


def values(out):
    """The $N = V values gdb printed, in order."""
    return [m.group(1) for m in re.finditer(
        r"^\$\d+ = (.*)$", out, re.M)]


def test_break_continue_detach():
    with gdb_vm("gdb 5") as vm:
        out = vm.gdb("break gdb_target", "continue", "print gdb_counter",
                     "continue", "print gdb_counter", "delete", "detach")
        hits = re.findall(r"Breakpoint 1, (?:0x[0-9a-f]+ in )?gdb_target",
                          out)
        assert len(hits) == 2, out
        assert values(out) == ["0", "1"], out
        assert "detached" in out, out
        res = vm.finish()
        assert res.status == GUEST_OK, res
        assert "gdb: gdb_counter = 5" in res.out, res


def test_info_registers_has_system_registers():
    with gdb_vm() as vm:
        out = vm.gdb("break *gdb_target", "continue", "info registers",
                     "print/x $cr3", "monitor query-registers cpu=0")
        regs = {m.group(1): m.group(2) for m in re.finditer(
            r"^(\w+)\s+(0x[0-9a-f]+)", out, re.M)}
        for name in ("rip", "rsp", "eflags", "cs", "fs_base", "gs_base",
                     "k_gs_base", "cr0", "cr2", "cr3", "cr4", "cr8",
                     "efer"):
            assert name in regs, (name, out)
        # The guest runs in long mode with paging on.
        assert re.search(r"^efer\s+0x[0-9a-f]+\s+\[.*LMA.*\]", out,
                         re.M), out
        assert re.search(r"^cr0\s+0x[0-9a-f]+\s+\[.*PG.*\]", out, re.M), out
        assert re.search(r"^rip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <gdb_target>",
                         out, re.M), out
        # gdb's cr3 is KVM's: the control command says the same.
        cr3 = int(regs["cr3"], 16)
        assert cr3 != 0
        assert re.search(r"CR3=0*%x\b" % cr3, out, re.I), out


def test_read_memory_by_virtual_and_physical_address():
    with gdb_vm() as vm:
        out = vm.gdb("break *gdb_target", "continue",
                     "print/x &gdb_pattern",
                     "x/4gx &gdb_pattern",
                     "monitor phys on",
                     "x/4gx &gdb_pattern",
                     "monitor phys off")
        words = re.findall(r"0x[0-9a-f]{16}", out)
        pattern = ["0x1122334455667788", "0x99aabbccddeeff00",
                   "0x0123456789abcdef", "0xfedcba9876543210"]
        # Virtual, then physical (the test guest maps itself 1:1).
        assert words.count(pattern[0]) == 2, out
        for w in pattern:
            assert w in words, (w, out)
        assert "memory addresses are guest-physical" in out, out


def test_stepi_follows_the_disassembly():
    with gdb_vm() as vm:
        cmds = ["break *gdb_target", "continue", "delete",
                "disassemble gdb_target", "print/x $pc"]
        for _ in range(10):
            cmds += ["stepi", "print/x $pc"]
        out = vm.gdb(*cmds)
        code = disassembly(out)
        assert len(code) >= 12, out
        pcs = [int(v, 16) for v in values(out)]
        assert len(pcs) == 11, out
        # Straight-line code: each step lands on the next instruction.
        assert pcs == code[:11], (pcs, code, out)


def test_hardware_watchpoint_fires_and_does_not_loop():
    with gdb_vm("gdb 3") as vm:
        out = vm.gdb("print/x &gdb_counter", "watch gdb_counter",
                     "continue", "continue", "continue", "print gdb_counter",
                     "delete", "detach", debug_remote=True)
        assert "Hardware watchpoint 1: gdb_counter" in out, out
        olds = re.findall(r"Old value = (\d+)\s+New value = (\d+)", out)
        assert olds == [("0", "1"), ("1", "2"), ("2", "3")], out
        # The stop reply names the counter's address.
        addr = int(re.search(r"^\$1 = (0x[0-9a-f]+)", out, re.M).group(1),
                   16)
        watched = [int(a, 16) for a in re.findall(
            r"T05thread:[0-9a-f]+;watch:([0-9a-f]+);", out)]
        assert watched and all(a == addr for a in watched), (watched, out)
        res = vm.finish()
        assert res.status == GUEST_OK, res
        assert "gdb: gdb_counter = 3" in res.out, res


def test_hardware_breakpoint_continue_does_not_loop():
    with gdb_vm("gdb 3") as vm:
        out = vm.gdb("hbreak *gdb_target", "continue", "continue",
                     "print gdb_counter", "continue", "print gdb_counter",
                     "delete", "detach")
        assert len(re.findall(r"Breakpoint 1, 0x[0-9a-f]+ in gdb_target",
                              out)) == 3, out
        assert values(out) == ["1", "2"], out
        res = vm.finish()
        assert res.status == GUEST_OK, res


def test_breakpoint_kept_inserted_steps_over_itself():
    """With breakpoints always in, the stub steps off the one it hit."""
    with gdb_vm("gdb 3") as vm:
        out = vm.gdb("set breakpoint always-inserted on",
                     "break *gdb_target", "continue",
                     "x/2xb gdb_target", "continue", "print gdb_counter",
                     "delete", "detach")
        assert len(re.findall(r"Breakpoint 1, 0x[0-9a-f]+ in gdb_target",
                              out)) == 2, out
        # Reads show the original code, not the planted int3.
        assert re.search(r"<gdb_target>:\s+0x48\s+0x89", out), out
        assert values(out) == ["1"], out
        res = vm.finish()
        assert res.status == GUEST_OK, res


def test_info_threads_lists_every_vcpu():
    with gdb_vm("gdb 2", cpus=2) as vm:
        out = vm.gdb("break *gdb_target", "continue", "info threads",
                     "thread 2", "print/x $pc", "thread 1", "detach")
        assert re.search(r"^\*?\s+1\s+Thread 1 \(vCPU 0, 64-bit", out,
                         re.M), out
        assert re.search(r"^\*?\s+2\s+Thread 2 \(vCPU 1, ", out, re.M), out
        assert "Switching to thread 2" in out, out
        res = vm.finish()
        assert res.status == GUEST_OK, res


def test_monitor_translate_prints_the_walk():
    with gdb_vm() as vm:
        out = vm.gdb("break *gdb_target", "continue",
                     "monitor translate cpu=0 gva=0x%x" % 0x1000,
                     "monitor translate cpu=0 gva=0x700000000000",
                     "monitor help", "monitor no-such-command")
        assert "PML4E" in out and "-> gpa 0x1000" in out, out
        assert "not present" in out, out
        assert "translate (cpu=N | pid=N [cpu=N]) gva=ADDR" in out, out
        assert "unknown command 'no-such-command'" in out, out


def test_monitor_info_disassembles_the_instruction_at_rip():
    # Stopped on a planted int3: the disassembly is of the original bytes.
    with gdb_vm() as vm:
        out = vm.gdb("break *gdb_target", "continue", "print/x $pc",
                     "monitor info", "delete", "detach")
        pc = int(re.search(r"^\$1 = (0x[0-9a-f]+)", out, re.M).group(1), 16)
        m = re.search(r"vCPU 0 \(64-bit code\) at RIP 0x([0-9a-f]+):"
                      r"((?: [0-9a-f]{2})+) \(([^)]+)\)", out)
        assert m, out
        assert int(m.group(1), 16) == pc, out
        assert not m.group(2).startswith(" cc"), out
        assert m.group(3) != "int3" and m.group(3) != "(bad)", out
        res = vm.finish()
        assert res.status == GUEST_OK, res


def test_breakpoint_on_unmapped_code_is_refused_and_explained():
    with gdb_vm() as vm:
        out = vm.gdb("break *0x700000000000", "continue",
                     "monitor info", "delete", "detach")
        assert "Cannot insert breakpoint 1" in out, out
        assert re.search(r"last refusal: breakpoint at 0x700000000000 "
                         r"refused: .*hbreak", out), out
        res = vm.finish()
        assert res.status == GUEST_OK, res


def test_interrupt_then_kill():
    with gdb_vm("gdb 1000000000") as vm:
        args = [GDB, "-batch", "-nx", "-ex", "set confirm off",
                "-ex", "target remote " + vm.sock, "-ex", "continue",
                "-ex", "print gdb_counter", "-ex", "kill", str(ELF64)]
        g = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            # Interrupt once the guest runs (it prints before its loop).
            assert vm.vm.wait_for("gdb: calling gdb_target", timeout=60)
            time.sleep(0.5)
            g.send_signal(signal.SIGINT)
            out = g.communicate(timeout=60)[0].decode(errors="replace")
        finally:
            if g.poll() is None:
                g.kill()
                g.communicate()
        assert "received signal SIGINT" in out, out
        counter = int(re.search(r"^\$1 = (\d+)", out, re.M).group(1))
        assert counter > 0, out
        res = vm.finish()
        assert res.status == 130, res
        assert "killed by gdb" in res.err, res


def frame(payload):
    return b"$%s#%02x" % (payload, sum(payload) & 0xff)


class RawGdb:
    """The remote protocol by hand, for what gdb itself never sends."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(20)
        self.s.connect(path)
        self.buf = b""

    def read_until(self, pred):
        while True:
            r = pred()
            if r is not None:
                return r
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError(self.buf)
            self.buf += chunk

    def byte(self):
        def pred():
            if self.buf:
                b, self.buf = self.buf[:1], self.buf[1:]
                return b
            return None
        return self.read_until(pred)

    def packet(self):
        def pred():
            m = re.match(rb"[+-]*\$([^#]*)#([0-9a-f]{2})", self.buf, re.S)
            if not m:
                return None
            self.buf = self.buf[m.end():]
            assert int(m.group(2), 16) == sum(m.group(1)) & 0xff
            return m.group(1)
        return self.read_until(pred)

    def send(self, data):
        self.s.sendall(data)


def test_protocol_errors_never_crash():
    # A guest that outlives the test: the interrupt must find it running.
    with gdb_vm("gdb 1000000000") as vm:
        g = RawGdb(vm.sock)
        g.send(b"$qC#00")  # wrong checksum
        assert g.byte() == b"-"
        g.send(frame(b"qC"))
        assert g.byte() == b"+"
        assert g.packet() == b"QC1"
        g.send(frame(b"qNoSuchThing"))
        assert g.packet() == b""
        g.send(b"$" + b"m" * 20000 + b"#00")  # beyond PacketSize
        assert g.packet().startswith(b"E")
        for bad in (b"m1,", b"mzz,1", b"Z7,0,1", b"vCont;x", b"Hg99",
                    b"p9999", b"X0,ffffffff:", b"qRcmd,zz",
                    b"qXfer:features:read:nope.xml:0,10",
                    b"mffffffffffffffffff,1"):
            g.send(frame(bad))
            r = g.packet()
            assert r == b"" or r.startswith(b"E"), (bad, r)
        g.send(frame(b"qSupported:swbreak+"))
        assert b"PacketSize=" in g.packet()
        g.send(frame(b"QStartNoAckMode"))
        assert g.packet() == b"OK"
        g.send(b"+")
        xml, more = b"", True
        while more:
            g.send(frame(b"qXfer:features:read:target.xml:%x,400" %
                         len(xml)))
            r = g.packet()
            assert r[:1] in (b"m", b"l"), r
            more = r[:1] == b"m"
            xml += r[1:]
        for feature in (b"org.gnu.gdb.i386.core", b"org.gnu.gdb.i386.sse",
                        b"org.gnu.gdb.i386.segments",
                        b"org.kvmscope.system"):
            assert feature in xml, xml
        for reg in (b"cr3", b"efer", b"k_gs_base", b"fs_base"):
            assert b'name="%s"' % reg in xml, xml
        g.send(frame(b"vCont;c"))
        time.sleep(0.2)
        g.send(b"\x03")
        assert g.packet().startswith(b"T02thread:")
        g.send(frame(b"qfThreadInfo"))
        assert g.packet() == b"m1"
        g.send(frame(b"k"))
        res = vm.finish()
        assert res.status == 130, res


@pytest.mark.parametrize("scenario,signame,status", [
    ("halt", "SIGTRAP", 8),  # cli; hlt: halted for good
    ("triple", "SIGSEGV", 6),  # a fault
])
def test_dead_guest_stops_gdb_and_stays_inspectable(scenario, signame,
                                                     status):
    """--gdb implies --on-fatal pause: the death ends gdb's continue."""
    with gdb_vm(scenario) as vm:
        out = vm.gdb("continue", "print/x $rip", "x/2xb $pc",
                     "continue", "print/x $rip", "monitor quit",
                     timeout=120)
        assert len(re.findall(r"received signal %s" % signame, out)) == 2, \
            out
        rips = values(out)
        assert len(rips) == 2 and rips[0] == rips[1], out
        assert re.search(r"^%s.*:\s+0x[0-9a-f]{2}\s+0x[0-9a-f]{2}$" %
                         rips[0], out, re.M), out
        # The second continue is refused, naming the cause.
        cause = "halted for good" if scenario == "halt" else "triple fault"
        assert ("kvmscope: the guest is dead (%s" % cause) in out, out
        assert "only inspection works" in out, out
        res = vm.finish()
        assert res.status == status, res


def test_attach_to_dead_guest_reports_the_death():
    with gdb_vm("triple", paused=False) as vm:
        assert vm.vm.wait_for("triple: faulting now", timeout=60)
        time.sleep(0.5)
        g = RawGdb(vm.sock)
        g.send(frame(b"?"))
        assert g.byte() == b"+"
        assert g.packet().startswith(b"T0bthread:")
        g.send(frame(b"g"))
        assert g.byte() == b"+"
        assert re.match(rb"^[0-9a-f]+$", g.packet())
        g.send(frame(b"vCont;c"))
        assert g.byte() == b"+"
        text = bytes.fromhex(g.packet()[1:].decode())
        assert b"the guest is dead (triple fault" in text, text
        assert g.packet().startswith(b"T0bthread:")
        g.send(frame(b"k"))
        res = vm.finish()
        assert res.status == 6, res


def wait_event(qmp, name, timeout=30):
    """The next QMP event called name (earlier ones included)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for i, ev in enumerate(qmp.events):
            if ev["event"] == name:
                return qmp.events.pop(i)
        r = qmp.recv()
        assert "event" in r, r
        qmp.events.append(r)
    pytest.fail("no %s event in %r" % (name, qmp.events))


def test_gdb_continue_while_the_user_stopped_the_vm_explains():
    with gdb_vm("gdb 1000000000", paused=False, api=True) as vm:
        assert vm.vm.wait_for("gdb: calling gdb_target", timeout=60)
        qmp = QMP(vm.api)
        qmp.ok("stop")
        assert wait_event(qmp, "STOP")["data"]["reason"] == "user"
        out = vm.gdb("continue", "print gdb_counter", "detach")
        assert "kvmscope: the VM stays paused: 'continue' refused: the " \
            "VM is held stopped by the user (QMP 'stop')" in out, out
        assert "received signal SIGTRAP" in out, out
        st = qmp.ok("query-status")
        assert st["status"] == "paused" and not st["running"], st
        assert st["held-by"] == ["user"], st
        assert "RESUME" not in [e["event"] for e in qmp.events], qmp.events
        qmp.ok("cont")
        assert wait_event(qmp, "RESUME")
        qmp.ok("quit")
        res = vm.finish()
        assert res.status == 130, res


def test_qmp_cont_while_gdb_holds_is_refused_and_gdb_stops_are_debug():
    with gdb_vm("gdb 1000000000", paused=False, api=True) as vm:
        assert vm.vm.wait_for("gdb: calling gdb_target", timeout=60)
        qmp = QMP(vm.api)
        g = RawGdb(vm.sock)  # attaching stops the VM for gdb
        assert wait_event(qmp, "STOP")["data"] == {"reason": "debug"}
        st = qmp.ok("query-status")
        assert st["status"] == "debug" and st["held-by"] == ["gdb"], st
        r = qmp.execute("cont")
        assert r["error"]["desc"] == (
            "'cont' refused: the VM is held stopped by gdb; continue or "
            "detach in gdb"), r
        # gdb resumes, then Ctrl-C: another STOP with QEMU's "debug".
        g.send(frame(b"vCont;c"))
        assert g.byte() == b"+"
        assert wait_event(qmp, "RESUME")
        g.send(b"\x03")
        assert g.packet().startswith(b"T02thread:")
        assert wait_event(qmp, "STOP")["data"] == {"reason": "debug"}
        g.send(frame(b"D"))
        assert g.byte() == b"+"
        assert g.packet() == b"OK"
        assert wait_event(qmp, "RESUME")
        qmp.ok("quit")
        res = vm.finish()
        assert res.status == 130, res
