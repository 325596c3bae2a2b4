"""Slow tier: real gdb against the default Linux guest's vmlinux. The guest
boots to its shell; gdb attaches (which stops the VM), breaks on the kernel
function behind uname(2), and the shell's `uname` hits it."""
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import ROOT, BUILD

GDB = shutil.which("gdb")
pytestmark = pytest.mark.usefixtures("need_gdb")  # missing gdb: a failure
BOOT_TIMEOUT = 600


def last_line(script):
    out = subprocess.run([str(ROOT / "guests/linux" / script)], check=True,
                         capture_output=True, text=True, timeout=3600)
    return pathlib.Path(out.stdout.strip().splitlines()[-1])


def wait_for(proc, buf, text, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        chunk = proc.stdout.read()
        if chunk:
            buf += chunk
        if text.encode() in buf:
            return buf, True
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    return buf, False


def test_break_on_kernel_function_triggered_from_the_shell():
    vmlinux = last_line("build-kernel.sh")
    initrd = last_line("build-initramfs.sh")
    sock = pathlib.Path(tempfile.mkdtemp()) / "gdb.sock"
    vm = subprocess.Popen(
        [str(BUILD / "kvmscope"), "run", "--kernel", str(vmlinux),
         "--initrd", str(initrd), "--append",
         "console=ttyS0 panic=-1 quiet rodata=off", "--mem", "256M",
         "--gdb", "unix:%s" % sock],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    import os
    os.set_blocking(vm.stdout.fileno(), False)
    out = b""
    gdb = None
    try:
        out, ok = wait_for(vm, out, "shell on the console", BOOT_TIMEOUT)
        assert ok, out.decode(errors="replace")
        # gdb attaches (the VM stops), sets the breakpoint and continues;
        # the shell's uname then hits it.
        gdb = subprocess.Popen(
            [GDB, "-batch", "-nx", "-ex", "set pagination off",
             "-ex", "target remote %s" % sock,
             "-ex", "break __x64_sys_newuname",
             "-ex", "continue",
             "-ex", "info registers rip cr3",
             "-ex", "bt 3",
             "-ex", "delete",
             "-ex", "detach", str(vmlinux)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(5)  # attach, insert, continue
        vm.stdin.write(b"uname -s\n")
        vm.stdin.flush()
        gout, _ = gdb.communicate(timeout=300)
        assert "Breakpoint 1, " in gout and "__x64_sys_newuname" in gout, \
            gout
        assert "cr3" in gout, gout
        # Detached: the guest carries on and answers.
        out, ok = wait_for(vm, out, "Linux", 120)
        assert ok, out.decode(errors="replace")
        vm.stdin.write(b"poweroff -f\n")
        vm.stdin.flush()
        assert vm.wait(timeout=120) == 0
    finally:
        if gdb and gdb.poll() is None:
            gdb.kill()
        if vm.poll() is None:
            vm.send_signal(signal.SIGKILL)
            vm.wait()
