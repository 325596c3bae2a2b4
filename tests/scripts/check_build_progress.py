#!/usr/bin/env python3
"""guests/linux/build-kernel.sh's progress display, on fake make output.

    check_build_progress.py SRCDIR

Takes the script's progress() function (no kernel is built), feeds it
kbuild-style lines and checks: every line reaches the log, a pipe (not a
terminal) gets one line per 10% in the `build-kernel: [ 113/1130] 10%`
form, a terminal gets \\r-updated lines that end cleared, and more steps
than estimated never show 100% early.
"""
import os
import pathlib
import pty
import re
import subprocess
import sys
import tempfile


def progress_function(script):
    text = script.read_text()
    m = re.search(r"^# >>> not in the cache key: progress display only\n"
                  r"(.*?^}\n)", text, re.S | re.M)
    if not m:
        sys.exit("%s: no progress() after the progress marker" % script)
    return m.group(1)


def fake_make(steps):
    lines = []
    for i in range(1, steps + 1):
        lines.append("  CC      dir/file%d.o" % i)
        if i % 100 == 0:
            lines.append("dir/file%d.c:1:1: warning: not a step" % i)
    lines.append("make[1]: Leaving directory '/x'")
    return "\n".join(lines) + "\n"


def run(func, steps, total, tty):
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "build.log")
        feed = os.path.join(d, "make.out")
        pathlib.Path(feed).write_text(fake_make(steps))
        cmd = ["bash", "-c", func + '\nprogress "$1" "$2" < "$3"', "bash",
               str(total), log, feed]
        if tty:
            pid, fd = pty.fork()
            if pid == 0:
                os.execvp(cmd[0], cmd)
            out = b""
            while True:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            _, status = os.waitpid(pid, 0)
            err = out.decode()
        else:
            p = subprocess.run(cmd, capture_output=True, text=True,
                               timeout=60)
            status, err = p.returncode, p.stderr
        return status, err, pathlib.Path(log).read_text()


def main():
    func = progress_function(pathlib.Path(sys.argv[1]) / "guests" / "linux" /
                             "build-kernel.sh")
    errors = []

    status, err, log = run(func, 1130, 1130, tty=False)
    want = "".join("build-kernel: [%4d/1130] %d%%\n" % (113 * k, 10 * k)
                   for k in range(1, 10))
    if status or err != want:
        errors.append("pipe, 1130 of 1130: got %r, want %r" % (err, want))
    if log != fake_make(1130):
        errors.append("the log is not make's output, line for line")

    status, err, _ = run(func, 1500, 1130, tty=False)
    if status or "100%" in err or err.count("\n") != 9:
        errors.append("pipe, 1500 steps of an estimated 1130: %r" % err)

    status, err, _ = run(func, 300, 300, tty=True)
    updates = err.split("\r")
    if status or not re.fullmatch(r"build-kernel: \[ {2}1/300\] 0%",
                                  updates[1]) or \
            not err.endswith("\r\x1b[K") or "\n" in err or \
            len(updates) < 100:
        errors.append("terminal, 300 steps: %r" % err[:200])

    for e in errors:
        print(e)
    if errors:
        return 1
    print("build-kernel.sh progress: pipe and terminal output as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
