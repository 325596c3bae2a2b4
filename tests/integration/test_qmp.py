"""The control socket as a QMP client sees it: JSON lines over a unix
socket, numbers as JSON numbers (addresses up to 2^64 - 1), framing errors
that never wedge a session, query-version, human-monitor-command, and a
dead guest kept for inspection."""
import json
import select
import signal
import socket
import subprocess
import time

import pytest

from conftest import (KVMSCOPE, QMP, TESTKERNEL, VERSION, Running,
                      known_mappings, wait_for_socket)

KM = known_mappings()
TOP = 2**64 - 1
HIGH = 0xffff800000000000
PATTERN_HEX = "a75c7d3b"  # the first bytes of KM_PATTERN_HEX
RAM = "(RAM: 0x0-0x10000000)"
HALT_WHY = ("every vCPU is halted with interrupts disabled (cli; hlt) or "
            "waiting for SIPI: nothing can wake the guest")
TRIPLE_WHY = ("vCPU 0: triple fault (KVM_EXIT_SHUTDOWN): an exception "
              "occurred while delivering a double fault, usually a broken "
              "IDT, GDT, stack or page table; the CPU shut down")


class Client(QMP):
    """QMP plus raw lines and replies read without an id to match."""

    def send_line(self, data):
        self.s.sendall(data + b"\n")

    def reply(self):
        while True:
            r = self.recv()
            if "event" in r:
                self.events.append(r)
                continue
            return r

    def request(self, cmd, id=None, **args):
        """Send one request (args as Python values) and return the reply."""
        req = {"execute": cmd, "id": self.next_id if id is None else id}
        self.next_id += 1
        if args:
            req["arguments"] = args
        self.send_line(json.dumps(req).encode())
        r = self.reply()
        assert r.get("id") == req["id"], (req, r)
        return r

    def error(self, cmd, **args):
        r = self.request(cmd, **args)
        assert "error" in r, r
        assert r["error"]["class"] == "GenericError", r
        return r["error"]["desc"]

    def wait_event(self, name, timeout=10):
        deadline = time.time() + timeout
        while not any(e["event"] == name for e in self.events):
            assert time.time() < deadline, self.events
            self.events.append(self.recv())
        return [e for e in self.events if e["event"] == name][0]


def ctl_text(sock, *words):
    p = subprocess.run([str(KVMSCOPE), "ctl", str(sock)] + list(words),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


# The pagetables scenario's CR3, as the guest prints it.
GUEST_CR3 = []


@pytest.fixture(scope="module")
def guest(tmp_path_factory):
    sock = tmp_path_factory.mktemp("qmp") / "q.sock"
    g = Running("--kernel", TESTKERNEL, "--append", "pagetables", "--cpus",
                "2", "--mem", "256M", "--api-sock", sock)
    m = g.wait_for_re(r"pagetables: ready cr3=0x([0-9a-f]+)\r?\n")
    assert m, g.finish(signal.SIGKILL)
    GUEST_CR3.append(int(m.group(1), 16))
    yield sock
    r = g.finish(signal.SIGTERM)
    assert r.status == 130, r


@pytest.fixture
def q(guest):
    c = Client(guest)
    c.ok("stop")  # deterministic vCPU state for every command
    yield c
    c.ok("cont")
    c.close()


def test_query_version_is_the_greeting_version(guest):
    c = Client(guest, negotiate=False)
    version = c.greeting["QMP"]["version"]
    assert c.greeting["QMP"]["capabilities"] == []
    assert "return" in c.execute("qmp_capabilities")
    assert c.ok("query-version") == version
    assert version == {"qemu": {"major": 7, "minor": 2, "micro": 0},
                       "package": "kvmscope " + VERSION,
                       "kvmscope": {"version": VERSION}}
    c.close()


def as_strings(args):
    """Numbers as the strings clients sent before: "0x..." for addresses,
    decimal for counts and sizes (the text their errors quote)."""
    def one(k, v):
        if not isinstance(v, int) or isinstance(v, bool) or k == "cpu":
            return v
        return str(v) if k in ("len", "max") else hex(v)
    return {k: one(k, v) for k, v in args.items()}


# Every address and size argument of every command, as a JSON number, with
# what the command answers; each must answer the same for the "0x" string.
NUMBER_CASES = [
    ("query-msrs", {"cpu": 0, "index": 0xc0000080},
     lambda r: r["msrs"] == [{"index": "0xc0000080", "name": "IA32_EFER",
                              "value": "0xd00"}]),
    ("query-msrs", {"cpu": 0, "index": HIGH},
     "MSR index 0xffff800000000000 is not a 32-bit value"),
    ("query-msrs", {"cpu": 0, "index": TOP},
     "MSR index 0xffffffffffffffff is not a 32-bit value"),
    ("gpa2hva", {"gpa": KM["KM_4K_GPA"]},
     lambda r: r["gpa"] == "0x300000" and r["slot"] == 0),
    ("gpa2hva", {"gpa": HIGH}, "gpa 0xffff800000000000 is not guest RAM " + RAM),
    ("gpa2hva", {"gpa": TOP}, "gpa 0xffffffffffffffff is not guest RAM " + RAM),
    ("gpa2hpa", {"gpa": KM["KM_4K_GPA"]},
     lambda r: r["gpa"] == "0x300000" and r["resident"] is True),
    ("gpa2hpa", {"gpa": TOP}, "gpa 0xffffffffffffffff is not guest RAM " + RAM),
    ("translate", {"cpu": 0, "gva": KM["KM_HIGH_GVA"]},
     lambda r: r["status"] == "ok" and r["gva"] == "0xffffffff80001000"
     and r["gpa"] == "0x302000"),
    ("translate", {"cpu": 0, "gva": HIGH},
     lambda r: r["status"] == "not-present" and
     r["gva"] == "0xffff800000000000" and r["steps"][0]["index"] == 256),
    ("translate", {"cpu": 0, "gva": TOP},
     lambda r: r["gva"] == "0xffffffffffffffff" and
     r["steps"][0]["index"] == 511),
    ("query-mappings", {"cpu": 0, "max": 2},
     lambda r: len(r["mappings"]) == 2 and r["truncated"] is True),
    ("query-mappings", {"cpu": 0, "max": TOP},
     "argument 'max' must be between 1 and 1000000 "
     "(got 18446744073709551615)"),
    ("read-memory", {"gpa": KM["KM_PATTERN_GPA"], "len": 4},
     lambda r: r == {"space": "physical", "addr": "0x300100", "len": 4,
                     "data": "p1x9Ow=="}),
    ("read-memory", {"cpu": 0, "gva": KM["KM_PATTERN_GVA"], "len": 4},
     lambda r: r == {"space": "virtual", "addr": "0x700000001100",
                     "len": 4, "data": "p1x9Ow=="}),
    ("read-memory", {"gpa": HIGH, "len": 4},
     "gpa 0xffff800000000000 is not guest RAM " + RAM),
    ("read-memory", {"gpa": TOP, "len": 1},
     "gpa 0xffffffffffffffff is not guest RAM " + RAM),
    ("read-memory", {"cpu": 0, "gva": HIGH, "len": 4},
     "gva 0xffff800000000000 is not mapped "
     "(PML4E 0x0 at gpa {PML4E_HIGH} is not present)"),
    ("read-memory", {"cpu": 0, "gva": TOP, "len": 4},
     "gva 0xffffffffffffffff + 4 wraps around the address space"),
    ("read-memory", {"gpa": KM["KM_PATTERN_GPA"], "len": TOP},
     "argument 'len' must be between 1 and 1048576 "
     "(got 18446744073709551615)"),
    # the pattern's own bytes: the guest sees no change
    ("write-memory", {"gpa": KM["KM_PATTERN_GPA"], "hex": PATTERN_HEX},
     lambda r: r == {"written": 4}),
    ("write-memory", {"cpu": 0, "gva": KM["KM_PATTERN_GVA"],
                      "hex": PATTERN_HEX},
     lambda r: r == {"written": 4}),
    ("write-memory", {"gpa": TOP, "hex": "00"},
     "gpa 0xffffffffffffffff is not guest RAM " + RAM),
    ("write-memory", {"cpu": 0, "gva": HIGH, "hex": "00"},
     "gva 0xffff800000000000 is not mapped "
     "(PML4E 0x0 at gpa {PML4E_HIGH} is not present)"),
    ("search-memory", {"hex": PATTERN_HEX, "gpa-start": 0, "gpa-end": TOP},
     lambda r: r["matches"] == [{"gpa": "0x300100"}] and r["count"] == 1),
    ("search-memory", {"hex": PATTERN_HEX, "gpa-start": 0x300000,
                       "gpa-end": 0x300104},
     lambda r: r["matches"] == [{"gpa": "0x300100"}] and
     r["bytes_searched"] == 0x104),
    ("search-memory", {"hex": PATTERN_HEX, "gpa-start": HIGH},
     lambda r: r["matches"] == [] and r["bytes_searched"] == 0),
    ("search-memory", {"hex": PATTERN_HEX, "max": TOP},
     "argument 'max' must be between 0 and 100000 "
     "(got 18446744073709551615)"),
]


@pytest.mark.parametrize("cmd,args,want", NUMBER_CASES,
                         ids=["%s-%d" % (c[0], i)
                              for i, c in enumerate(NUMBER_CASES)])
def test_addresses_and_sizes_as_json_numbers(q, cmd, args, want):
    r = q.request(cmd, **args)
    if isinstance(want, str) and "{PML4E_HIGH}" in want:
        # PML4 entry 256 (gva 0xffff800000000000) of the guest's CR3
        want = want.replace("{PML4E_HIGH}",
                            hex((GUEST_CR3[-1] & ~0xfff) + 256 * 8))
    if isinstance(want, str):
        assert r.get("error") == {"class": "GenericError", "desc": want}, r
    else:
        assert "return" in r and want(r["return"]), r
    # the string form means the same
    again = q.request(cmd, **as_strings(args))
    if cmd == "search-memory" and "return" in r:
        del r["return"]["seconds"], again["return"]["seconds"]
    if cmd == "query-msrs" and "return" in r:
        return  # the TSC ticks between the two
    del r["id"], again["id"]
    assert again == r


NEG = "'%s' must be a non-negative integer below 2^64, got %s (%s)"
NEGATIVE = "an address or size must not be negative"
REAL = "an address or size is not a real number"
ADDRESS_ARGS = [
    ("query-msrs", {"cpu": 0}, "index"),
    ("gpa2hva", {}, "gpa"),
    ("gpa2hpa", {}, "gpa"),
    ("translate", {"cpu": 0}, "gva"),
    ("read-memory", {"len": 4}, "gpa"),
    ("read-memory", {"cpu": 0, "len": 4}, "gva"),
    ("write-memory", {"hex": "00"}, "gpa"),
    ("write-memory", {"cpu": 0, "hex": "00"}, "gva"),
    ("search-memory", {"hex": PATTERN_HEX}, "gpa-start"),
    ("search-memory", {"hex": PATTERN_HEX}, "gpa-end"),
]


@pytest.mark.parametrize("cmd,base,name", ADDRESS_ARGS,
                         ids=["%s-%s" % (c, n) for c, _, n in ADDRESS_ARGS])
def test_negative_or_fractional_address_is_refused(q, cmd, base, name):
    for value, text, why in ((-1, "-1", NEGATIVE), (1.5, "1.5", REAL),
                             (-2**63, str(-2**63), NEGATIVE),
                             (4096.0, "4096", REAL)):
        r = q.request(cmd, id="neg-%s" % text, **dict(base, **{name: value}))
        assert r == {"error": {"class": "GenericError",
                               "desc": NEG % (name, text, why)},
                     "id": "neg-%s" % text}, r
    # past 2^64 - 1 it is not a number kvmscope can take: a parse error,
    # still with the request's id
    r = q.request(cmd, id=77, **dict(base, **{name: 2**64}))
    assert r == {"error": {"class": "GenericError",
                           "desc": "JSON parse error: too big integer near "
                                   "'18446744073709551616'"},
                 "id": 77}, r


def test_negative_or_fractional_size_is_refused(q):
    gpa = KM["KM_PATTERN_GPA"]
    assert q.error("read-memory", gpa=gpa, len=-1) == \
        "argument 'len' must be between 1 and 1048576 (got -1)"
    assert q.error("read-memory", gpa=gpa, len=1.5) == \
        "argument 'len' must be an integer, not a real number (got 1.5)"
    assert q.error("query-mappings", cpu=0, max=-1) == \
        "argument 'max' must be between 1 and 1000000 (got -1)"
    assert q.error("search-memory", hex=PATTERN_HEX, max=0.5) == \
        "argument 'max' must be an integer, not a real number (got 0.5)"


def next_reply_works(c, n):
    r = c.request("query-status", id="after-%d" % n)
    assert r == {"return": {"status": "paused", "running": False,
                            "held-by": ["user"]},
                 "id": "after-%d" % n}, r


def test_nul_byte_gets_an_error_and_the_session_goes_on(q):
    q.send_line(b'{"execute": "query-status"\0, "id": 5}')
    assert q.reply() == {"error": {
        "class": "GenericError",
        "desc": "JSON parse error: NUL byte at offset 26 of the request"},
        "id": 5}
    next_reply_works(q, 1)
    q.send_line(b'{"execute": "query-status", "arguments": {"a": "x\0"}}')
    assert q.reply() == {"error": {
        "class": "GenericError",
        "desc": "JSON parse error: NUL byte at offset 49 of the request"}}
    next_reply_works(q, 2)
    q.send_line(b"\0")
    assert q.reply()["error"]["desc"] == \
        "JSON parse error: NUL byte at offset 0 of the request"
    next_reply_works(q, 3)


def test_invalid_utf8_gets_an_error_and_the_session_goes_on(q):
    q.send_line(b'{"execute": "echo", "arguments": {"s": "\xe2\x82"}, '
                b'"id": "u"}')
    assert q.reply() == {"error": {
        "class": "GenericError",
        "desc": "JSON parse error: invalid UTF-8: unable to decode byte "
                "0xe2 near '\"'"}, "id": "u"}
    next_reply_works(q, 4)
    q.send_line(b'{"execute": "query-st\xff\xfeatus", "id": 6}')
    r = q.reply()
    assert r["id"] == 6 and r["error"]["desc"].startswith(
        "JSON parse error: invalid UTF-8: unable to decode byte 0xff")
    next_reply_works(q, 5)


def test_over_long_request_gets_an_error_then_a_close(guest):
    """Past 4 MiB without a complete JSON object the server answers once
    and closes that connection (README: framing limits); the socket
    itself goes on serving."""
    c = Client(guest)
    c.s.setblocking(False)
    head = b'{"execute": "query-status", "id": 41, "arguments": {"s": "'
    chunk = b"A" * 65536
    sent, todo, closed = 0, [head] + [chunk] * 80, False
    data = b""
    while todo and not closed:
        _, w, _ = select.select([c.s], [c.s], [], 10)
        try:
            if c.s in w:
                n = c.s.send(todo[0])
                sent += n
                todo[0] = todo[0][n:]
                if not todo[0]:
                    todo.pop(0)
            got = c.s.recv(1 << 20)
            if not got:
                closed = True
            data += got
        except BlockingIOError:
            pass
        except (BrokenPipeError, ConnectionResetError):
            closed = True
    assert sent > 4 << 20
    c.s.setblocking(True)
    c.s.settimeout(10)
    try:
        while True:
            got = c.s.recv(1 << 20)
            if not got:
                break
            data += got
    except ConnectionResetError:
        pass
    assert json.loads(data) == {"error": {
        "class": "GenericError",
        "desc": "request larger than 4 MiB without a complete JSON object: "
                "disconnecting"}, "id": 41}
    c.close()
    d = Client(guest)
    assert d.ok("query-status")["running"] is True
    d.close()


HMP_LINES = [
    "query-status",
    "query-version",
    "query-cpus-fast",
    "query-registers cpu=0",
    "query-msrs cpu=0 index=0xc0000080",
    "query-memslots",
    "gpa2hva gpa=0x300000",
    "translate cpu=0 gva=0xffffffff80001000",
    "translate cpu=0 gva=18446744073709551615",
    "query-mappings cpu=0",
    "read-memory gpa=0x300100 len=64",
    "read-memory cpu=0 gva=0x700000001100 len=32",
    "query-commands",
]


@pytest.mark.parametrize("line", HMP_LINES)
def test_human_monitor_command_prints_what_ctl_prints(q, guest, line):
    text = q.ok("human-monitor-command", **{"command-line": line})
    assert text == ctl_text(guest, *line.split())
    assert text.endswith("\n") and len(text) > 10


def test_human_monitor_command_details(q, guest):
    hmc = "human-monitor-command"
    # commands that say nothing return "", as in QEMU
    assert q.ok(hmc, **{"command-line": "stop"}) == ""
    # cpu-index is the default cpu=
    assert q.ok(hmc, **{"command-line": "query-registers",
                        "cpu-index": 1}) == \
        ctl_text(guest, "query-registers", "cpu=1")
    # quoting and the inner command's errors
    assert q.ok(hmc, **{"command-line":
                        "search-memory 'hex=a75c 7d3b' max=1"}).startswith(
        "0x300100\n1 match in 256 MiB, ")
    assert q.error(hmc, **{"command-line": "translate cpu=9 gva=0"}) == \
        "argument 'cpu' must be between 0 and 1 (got 9)"
    assert q.error(hmc, **{"command-line": "no-such-thing"}) == \
        "The command no-such-thing has not been found"
    assert q.error(hmc, **{"command-line": "   "}) == \
        "'command-line' is empty: give a command, e.g. \"query-status\" " \
        "or \"help\""
    assert q.error(hmc) == "missing argument 'command-line'"
    help_text = q.ok(hmc, **{"command-line": "help"})
    assert "translate cpu=N gva=ADDR -- walk the guest page tables" in \
        help_text
    # kvmscope ctl prints the text as it is
    assert ctl_text(guest, hmc, "command-line=translate cpu=0 gva=0x0") == \
        ctl_text(guest, "translate", "cpu=0", "gva=0x0")


def start_dead(tmp_path, scenario):
    """A guest started paused, connected, then let run until it dies."""
    sock = tmp_path / (scenario + ".sock")
    g = Running("--kernel", TESTKERNEL, "--append", scenario, "--paused",
                "--api-sock", sock)
    assert wait_for_socket(sock), g.finish(signal.SIGKILL)
    c = Client(sock)
    assert c.ok("query-status") == {"status": "paused", "running": False,
                                    "held-by": ["start"]}
    c.ok("cont")
    return g, c, sock


def check_dead(g, c, sock, status, reason, code, why, cont_why):
    ev = c.wait_event("GUEST_PANICKED")
    assert ev["data"] == {"action": "pause", "info": {
        "type": "kvmscope", "reason": reason, "run-state": status,
        "status": code, "why": why, "cpu": 0}}
    # kept for inspection: the halt watchdog (2 x 250 ms) does not end it
    time.sleep(1.5)
    assert g.p.poll() is None
    assert c.ok("query-status") == {
        "status": status, "running": False, "held-by": ["fatal"],
        "fatal": {"reason": reason, "status": code, "why": why, "cpu": 0}}
    assert ctl_text(sock, "query-status") == (
        "VM status: %s\n%s: %s (%s, status %d) on cpu 0; inspection works, "
        "quit to end\nheld by: fatal\n" % (status, status, why, reason, code))
    regs = c.ok("query-registers", cpu=0)
    assert regs["cpu"] == 0 and regs["mode"] == "long"
    t = c.ok("translate", cpu=0, gva=int(regs["rip"], 16))
    assert t["status"] == "ok"
    assert c.error("cont") == (
        "'cont' refused: the guest is dead (%s: %s); inspect it, then "
        "'quit' ends kvmscope with status %d" % (cont_why, why, code))
    assert c.ok("query-status")["status"] == status
    c.ok("quit")
    r = g.finish(timeout=30)
    assert r.status == code, r
    c.close()


def test_dead_guest_halted(tmp_path):
    g, c, sock = start_dead(tmp_path, "halt")
    try:
        check_dead(g, c, sock, "guest-panicked", "halted", 8, HALT_WHY,
                   "fatal exit")
    finally:
        if g.p.poll() is None:
            g.finish(signal.SIGKILL)


def test_dead_guest_triple_fault(tmp_path):
    g, c, sock = start_dead(tmp_path, "triple")
    try:
        check_dead(g, c, sock, "shutdown", "triple-fault", 6, TRIPLE_WHY,
                   "triple fault")
    finally:
        if g.p.poll() is None:
            g.finish(signal.SIGKILL)


PANIC_WHY = "the guest kernel panicked (pvpanic event PANICKED at port 0x505)"


def test_dead_guest_pvpanic(tmp_path):
    g, c, sock = start_dead(tmp_path, "pvpanic")
    try:
        check_dead(g, c, sock, "guest-panicked", "guest-panic", 18,
                   PANIC_WHY, "guest panic")
    finally:
        if g.p.poll() is None:
            g.finish(signal.SIGKILL)


def test_dead_guest_found_after_the_fact(tmp_path):
    """Not started paused: the guest dies before anyone connects, and
    kvmscope still waits for the control socket's verdict."""
    sock = tmp_path / "late.sock"
    g = Running("--kernel", TESTKERNEL, "--append", "halt", "--api-sock",
                sock)
    try:
        assert g.wait_for("halt: cli; hlt"), g.finish(signal.SIGKILL)
        time.sleep(1.5)  # past the halt watchdog's two 250 ms rounds
        assert g.p.poll() is None
        c = Client(sock)
        st = c.ok("query-status")
        assert st["status"] == "guest-panicked" and st["running"] is False
        assert st["fatal"] == {"reason": "halted", "status": 8,
                               "why": HALT_WHY, "cpu": 0}
        assert c.ok("query-registers", cpu=0)["mode"] == "long"
        c.ok("quit")
        r = g.finish(timeout=30)
        assert r.status == 8, r
        assert "the guest is dead; kvmscope keeps it for inspection" in r.err
        c.close()
    finally:
        if g.p.poll() is None:
            g.finish(signal.SIGKILL)
