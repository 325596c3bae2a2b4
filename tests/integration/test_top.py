"""`kvmscope top SOCK --once`: one frame over the control socket, parsed:
the vCPU rows (count, state names, mode), exits/s and % in guest where
query-stats exists (the PIO loop's port 0x80 on top of the port list), the
sampled RIPs; without query-stats the line that says so."""
import re
import signal
import subprocess

import pytest

import time

from conftest import KVMSCOPE, QMP, TESTKERNEL, Running, wait_for_socket

TESTKERNEL64 = str(TESTKERNEL) + "64"  # the same link, with symbols

STATES = {"running", "halted", "wait-for-sipi", "paused", "debug"}


def top(sock, *args, timeout=30):
    p = subprocess.run([str(KVMSCOPE), "top", "--once"] + list(args) +
                       [str(sock)], capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p
    return p.stdout


def parse(out):
    lines = out.splitlines()
    title = lines[0]
    assert title.startswith("kvmscope top "), out
    assert lines[1].split()[:3] == ["CPU", "STATE", "MODE"], out
    rows = []
    for line in lines[2:]:
        m = re.match(r"(\d+)\s+(\S+)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)$",
                     line)
        if not m:
            break
        rows.append({"cpu": int(m.group(1)), "state": m.group(2),
                     "mode": m.group(3), "cpl": int(m.group(4)),
                     "rip": m.group(5), "exits": m.group(6),
                     "guest": m.group(7)})
    sections = {}
    cur = None
    for line in lines[2 + len(rows):]:
        if not line.startswith("  ") and line.endswith(":") or \
                line.startswith("hottest RIPs") or \
                line.startswith("query-stats:"):
            cur = line
            sections[cur] = []
        elif cur is not None:
            sections[cur].append(line.strip())
    return title, rows, sections


@pytest.fixture(scope="module")
def guest(tmp_path_factory):
    sock = tmp_path_factory.mktemp("top") / "t.sock"
    g = Running("--kernel", TESTKERNEL, "--append", "pio 2000000000",
                "--cpus", "2", "--api-sock", sock)
    assert wait_for_socket(sock), g.finish(signal.SIGKILL)
    for _ in range(500):  # bound, then listening
        try:
            QMP(sock).close()
            break
        except ConnectionRefusedError:
            time.sleep(0.02)
    yield sock
    r = g.finish(signal.SIGTERM)
    assert r.status == 130, r


def test_top_once(guest):
    out = top(guest, "--interval", "0.5")
    print(out)
    title, rows, sections = parse(out)
    assert "status: running" in title and "vCPUs: 2" in title, title
    assert [r["cpu"] for r in rows] == [0, 1], out
    for r in rows:
        assert r["state"] in STATES, r
    # The BSP runs the PIO loop in long mode; the AP was never started.
    assert rows[0]["state"] == "running" and rows[0]["mode"] == "long"
    assert rows[1]["state"] == "wait-for-sipi", rows
    assert rows[0]["rip"].startswith("0x"), rows
    rips = [k for k in sections if k.startswith("hottest RIPs")]
    assert rips and re.match(r"hottest RIPs \((\d+) samples\):", rips[0])
    assert sections[rips[0]][0].startswith("0x"), sections
    na = [k for k in sections if k.startswith("query-stats: not available")]
    assert not na, out
    exits = float(rows[0]["exits"])
    assert exits > 1000, out
    guest_pct = float(rows[0]["guest"])
    assert 0 < guest_pct < 100, out
    reasons = sections["exits/s by reason (kvmscope):"]
    assert reasons[0].split()[0] == "io", reasons
    ports = sections["top ports:"]
    assert ports[0].split()[:2] == ["0x80", "out"], ports
    rate = float(ports[0].split()[2].rstrip("/s"))
    assert abs(rate - exits) <= 0.1 * exits, (rate, exits)
    # the busiest reason's latency as text bars: the interval's io exits
    bars = sections["latency of 'io' exits this interval:"]
    counts = [int(m.group(1)) for m in
              (re.search(r"\|[# ]+\| (\d+)$", b) for b in bars) if m]
    assert counts and len(counts) == len(bars), bars
    io_rate = float(reasons[0].split()[1].rstrip("/s"))
    interval = float(re.search(r"interval ([\d.]+) s", title).group(1))
    assert abs(sum(counts) - io_rate * interval) <= 0.05 * sum(counts) + 2, \
        (counts, io_rate, interval)


def test_top_names_the_hot_rip(guest):
    out = top(guest, "--interval", "0.5", "--symbols", TESTKERNEL64)
    rows = [line.split() for line in
            out.split("hottest RIPs")[1].splitlines()[1:]]
    # The BSP spins in the PIO loop: its hottest RIP, by name, whatever
    # the AP's count (it waits for SIPI at 0xfff0).
    bsp = [r for r in rows if r[1:3] == ["cpu", "0"]]
    assert bsp and bsp[0][-1].startswith("scenario_pio+0x"), out
    ap = [r for r in rows if r[1:3] == ["cpu", "1"]]
    assert ap and ap[0][0] == "0xfff0", out


def test_top_without_a_vm(tmp_path):
    p = subprocess.run([str(KVMSCOPE), "top", "--once",
                        str(tmp_path / "none.sock")], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 2, p
    assert "cannot connect" in p.stderr, p


def test_top_usage():
    p = subprocess.run([str(KVMSCOPE), "top", "--interval", "x", "s"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "--interval" in p.stderr, p
    p = subprocess.run([str(KVMSCOPE), "top", "--help"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and "--once" in p.stdout, p


def run_on_pty(sock, stop):
    """top on a pseudo-terminal until one frame is drawn, then stop(p, fd);
    returns (status, output, the terminal's lflag after top ended)."""
    import os
    import pty
    import select
    import termios
    import time
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)[3]
    p = subprocess.Popen([str(KVMSCOPE), "top", "--interval", "0.3",
                          str(sock)], stdin=slave, stdout=slave,
                         stderr=slave, close_fds=True)
    out = b""
    deadline = time.time() + 20
    while b"hottest RIPs" not in out and time.time() < deadline:
        if select.select([master], [], [], 0.5)[0]:
            out += os.read(master, 65536)
    # In raw mode while it runs: no echo, no line editing.
    assert not termios.tcgetattr(slave)[3] & (termios.ECHO | termios.ICANON)
    stop(p, master)
    status = p.wait(timeout=10)
    after = termios.tcgetattr(slave)[3]
    os.close(master)
    os.close(slave)
    return status, out.decode(errors="replace"), before, after


def test_top_q_quits_and_restores_the_terminal(guest):
    import os
    status, out, before, after = run_on_pty(
        guest, lambda p, fd: os.write(fd, b"q"))
    assert status == 0, out
    assert "CPU STATE" in out
    assert after == before


def test_top_sigterm_restores_the_terminal(guest):
    status, out, before, after = run_on_pty(
        guest, lambda p, fd: p.send_signal(signal.SIGTERM))
    assert status == -signal.SIGTERM, out
    assert after == before
