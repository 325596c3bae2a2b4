"""The serial console on a real terminal (a pty): raw mode while the guest
runs, Ctrl-C reaching the guest instead of killing kvmscope, Ctrl-A x
quitting, and the terminal restored afterwards."""
import os
import pty
import select
import termios
import time

from conftest import KVMSCOPE, TESTKERNEL


def read_until(fd, text, timeout=20):
    buf = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if text.encode() in buf:
                return buf
    return buf


def test_ctrl_c_goes_to_the_guest_and_ctrl_a_x_quits():
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(str(KVMSCOPE), [str(KVMSCOPE), "run", "--kernel",
                                 str(TESTKERNEL), "--append", "pagetables"])
    try:
        out = read_until(fd, "pagetables: ready")
        assert b"pagetables: ready" in out, out
        # Raw mode: no ISIG, no ICANON, no ECHO while the guest runs.
        attrs = termios.tcgetattr(fd)
        assert not attrs[3] & (termios.ISIG | termios.ICANON | termios.ECHO)
        os.write(fd, b"\x03")  # Ctrl-C: a byte for the guest's UART
        time.sleep(0.5)
        assert os.waitpid(pid, os.WNOHANG) == (0, 0), "Ctrl-C killed it"
        os.write(fd, b"\x01x")  # Ctrl-A x
        out = read_until(fd, "Ctrl-A x", timeout=10)
        _, status = os.waitpid(pid, 0)
        assert os.WEXITSTATUS(status) == 130, out
        assert b"quit from the console (Ctrl-A x)" in out, out
        # The terminal is back in cooked mode.
        attrs = termios.tcgetattr(fd)
        assert attrs[3] & termios.ICANON and attrs[3] & termios.ECHO
    finally:
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)
