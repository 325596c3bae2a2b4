"""Introspection through the control socket, on the test guest's known
mappings (guests/testkernel/known_mappings.h) and on real /dev/kvm."""
import base64
import json
import os
import signal
import stat
import subprocess
import time

import pytest

from conftest import (KNOWN_MAPPINGS, KVMSCOPE, QMP, TESTKERNEL, Running,
                      known_mappings,
                      wait_for_socket, run_kvmscope)

KM = known_mappings()
PATTERN = bytes.fromhex(KNOWN_MAPPINGS.read_text()
                        .split('KM_PATTERN_HEX "')[1].split('"')[0])
ELF64 = str(TESTKERNEL) + "64"


def entry_point(path):
    out = subprocess.run(["readelf", "-h", str(path)], capture_output=True,
                         text=True, check=True).stdout
    return int(out.split("Entry point address:")[1].split()[0], 16)


def symbol(name):
    out = subprocess.run(["nm", ELF64], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if parts[-1] == name:
            return int(parts[0], 16)
    raise KeyError(name)


def ctl(sock, *args, json_out=True):
    cmd = [str(KVMSCOPE), "ctl"] + (["--json"] if json_out else []) + \
        [str(sock)] + [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if json_out and p.returncode == 0:
        return p.returncode, json.loads(p.stdout), p.stderr
    return p.returncode, p.stdout, p.stderr


@pytest.fixture(scope="module")
def guest(tmp_path_factory):
    sock = tmp_path_factory.mktemp("api") / "k.sock"
    g = Running("--kernel", TESTKERNEL, "--append", "pagetables", "--cpus",
                "2", "--api-sock", sock)
    assert g.wait_for("pagetables: ready"), g.finish(signal.SIGKILL)
    yield sock
    r = g.finish(signal.SIGTERM)
    assert r.status == 130, r


def test_socket_is_private(guest):
    st = os.stat(guest)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600


def test_needs_stop_is_explained(guest):
    rc, out, err = ctl(guest, "query-registers", "cpu=0")
    assert rc == 1
    assert "stop" in err and "pause=true" in err


@pytest.mark.parametrize("gva,gpa_key,size,write,user,execute", [
    ("KM_4K_GVA", "KM_4K_GPA", 4096, True, True, False),
    ("KM_4K_RO_GVA", "KM_4K_RO_GPA", 4096, False, False, True),
    ("KM_2M_GVA", "KM_2M_GPA", 2 << 20, True, True, True),
    ("KM_HIGH_GVA", "KM_HIGH_GPA", 4096, True, False, True),
])
def test_known_mapping_translates(guest, gva, gpa_key, size, write, user,
                                  execute):
    for off in (0, 0x123):
        rc, r, err = ctl(guest, "translate", "cpu=0",
                         "gva=0x%x" % (KM[gva] + off), "pause=true")
        assert rc == 0, err
        r = r["return"]
        assert r["status"] == "ok", r
        assert int(r["gpa"], 16) == KM[gpa_key] + off
        assert r["page_size"] == size
        assert r["permissions"] == {"write": write, "user": user,
                                    "execute": execute}, r
        assert r["agrees"] is True, r
        assert int(r["kvm_translate"]["gpa"], 16) == KM[gpa_key] + off
        assert r["paging"] == "4-level"
        assert [s["level"] for s in r["steps"]][0] == 4


def test_1g_mapping_matches_cpuid(guest):
    rc, r, err = ctl(guest, "translate", "cpu=0",
                     "gva=0x%x" % (KM["KM_1G_GVA"] + 0x1234), "pause=true")
    r = r["return"]
    # This host's KVM may not offer 1 GiB pages (CPUID 0x80000001 EDX.26):
    # then PS in a PDPTE is a reserved bit, and KVM_TRANSLATE agrees.
    if r["status"] == "ok":
        assert int(r["gpa"], 16) == KM["KM_1G_GPA"] + 0x1234
        assert r["page_size"] == 1 << 30
    else:
        assert r["status"] == "reserved-bit", r
        assert "PDPTE" in r["reason"], r
    assert r["agrees"] is True, r


def test_not_present_and_non_canonical_are_reported(guest):
    rc, r, _ = ctl(guest, "translate", "cpu=0",
                   "gva=0x%x" % KM["KM_NP_GVA"], "pause=true")
    r = r["return"]
    assert r["status"] == "not-present"
    assert "PTE" in r["reason"]
    assert r["agrees"] is True
    rc, r, _ = ctl(guest, "translate", "cpu=0", "gva=0x0000800000000000",
                   "pause=true")
    assert r["return"]["status"] == "not-canonical", r


def test_registers_read_back_exactly(guest):
    rc, r, err = ctl(guest, "query-registers", "cpu=0", "pause=true")
    assert rc == 0, err
    r = r["return"]
    for reg in ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9",
                "r10", "r11", "r12", "r13", "r14", "r15"):
        assert int(r["gprs"][reg], 16) == KM["KM_REG_" + reg.upper()], reg
    rip = int(r["rip"], 16)
    assert rip in (symbol("known_halt_hlt"), symbol("known_halt_hlt") + 1)
    assert "IF" in r["rflags"]["flags"]
    assert r["mode"] == "long" and r["cpl"] == 0
    assert "PG" in r["cr0"]["flags"] and "LMA" in r["efer"]["flags"]


def test_pattern_is_found_at_its_known_address(guest):
    rc, r, err = ctl(guest, "search-memory", "hex=" + PATTERN.hex(), "cpu=0",
                     "pause=true")
    assert rc == 0, err
    r = r["return"]
    assert r["count"] == 1, r
    m = r["matches"][0]
    assert int(m["gpa"], 16) == KM["KM_PATTERN_GPA"]
    gvas = {int(v, 16) for v in m["gvas"]}
    assert KM["KM_PATTERN_GVA"] in gvas
    assert KM["KM_PATTERN_GPA"] in gvas  # the identity map
    assert r["bytes_searched"] >= 256 << 20


def test_read_memory_by_gpa_and_gva(guest):
    rc, r, err = ctl(guest, "read-memory", "gpa=0x%x" % KM["KM_PATTERN_GPA"],
                     "len=%d" % len(PATTERN))
    assert rc == 0, err
    assert base64.b64decode(r["return"]["data"]) == PATTERN
    rc, r, err = ctl(guest, "read-memory", "cpu=0",
                     "gva=0x%x" % KM["KM_PATTERN_GVA"],
                     "len=%d" % len(PATTERN), "pause=true")
    assert rc == 0, err
    assert base64.b64decode(r["return"]["data"]) == PATTERN
    # human form: a hex dump
    rc, out, err = ctl(guest, "read-memory", "gpa=0x%x" % KM["KM_PATTERN_GPA"],
                       "len=32", json_out=False)
    assert rc == 0 and PATTERN[:4].hex(" ") in out, out


def test_read_across_unmapped_memory_fails_and_says_where(guest):
    start = KM["KM_NP_GVA"] - 16
    rc, out, err = ctl(guest, "read-memory", "cpu=0", "gva=0x%x" % start,
                       "len=32", "pause=true")
    assert rc == 1
    assert "%x" % KM["KM_NP_GVA"] in err, err
    rc, out, err = ctl(guest, "read-memory", "gpa=0xfffff00", "len=512")
    assert rc == 1 and "0x10000000" in err, err


def test_write_memory_round_trip_and_rejects_non_ram(guest):
    addr = KM["KM_4K_GPA"] + 0x800
    rc, r, err = ctl(guest, "write-memory", "gpa=0x%x" % addr,
                     "hex=deadbeefcafef00d")
    assert rc == 0, err
    assert r["return"]["written"] == 8
    rc, r, _ = ctl(guest, "read-memory", "gpa=0x%x" % addr, "len=8")
    assert base64.b64decode(r["return"]["data"]) == \
        bytes.fromhex("deadbeefcafef00d")
    # The last 4 bytes of RAM plus 4 beyond: checked first, nothing written
    end = (256 << 20) - 4
    rc, r, _ = ctl(guest, "read-memory", "gpa=0x%x" % end, "len=4")
    before = base64.b64decode(r["return"]["data"])
    rc, out, err = ctl(guest, "write-memory", "gpa=0x%x" % end,
                       "hex=0102030405060708")
    assert rc == 1 and "not guest RAM" in err, err
    rc, r, _ = ctl(guest, "read-memory", "gpa=0x%x" % end, "len=4")
    assert base64.b64decode(r["return"]["data"]) == before


def test_memslots_gpa2hva_gpa2hpa(guest):
    rc, r, err = ctl(guest, "query-memslots")
    assert rc == 0, err
    slots = r["return"]
    assert len(slots) == 1
    assert int(slots[0]["gpa_start"], 16) == 0
    assert int(slots[0]["size"], 16) == 256 << 20
    rc, r, _ = ctl(guest, "gpa2hva", "gpa=0x%x" % KM["KM_PATTERN_GPA"])
    hva = int(r["return"]["hva"], 16)
    assert hva == int(slots[0]["hva"], 16) + KM["KM_PATTERN_GPA"]
    rc, r, _ = ctl(guest, "gpa2hpa", "gpa=0x%x" % KM["KM_PATTERN_GPA"])
    r = r["return"]
    assert r["resident"] is True
    if os.geteuid() == 0:
        assert int(r["hpa"], 16) & 0xfff == KM["KM_PATTERN_GPA"] & 0xfff
    rc, out, err = ctl(guest, "gpa2hva", "gpa=0xd0000000")
    assert rc == 1 and "not guest RAM" in err


def test_query_mappings_lists_known_ranges(guest):
    rc, r, err = ctl(guest, "query-mappings", "cpu=0", "pause=true")
    assert rc == 0, err
    maps = r["return"]["mappings"]
    hit = [m for m in maps if int(m["va_start"], 16) <= KM["KM_4K_GVA"] <
           int(m["va_end"], 16)]
    assert len(hit) == 1, maps[:10]
    m = hit[0]
    assert int(m["pa_start"], 16) + KM["KM_4K_GVA"] - \
        int(m["va_start"], 16) == KM["KM_4K_GPA"]
    assert m["write"] and m["user"] and not m["execute"]
    assert not any(int(m["va_start"], 16) <= KM["KM_NP_GVA"] <
                   int(m["va_end"], 16) for m in maps)


def test_cpus_fast(guest):
    rc, r, err = ctl(guest, "query-cpus-fast")
    assert rc == 0, err
    cpus = r["return"]
    assert [c["cpu-index"] for c in cpus] == [0, 1]
    assert cpus[0]["mode"] == "long" and cpus[0]["bits"] == 64
    assert cpus[0]["paging"] == "4-level"
    assert cpus[1]["state"] == "wait-for-sipi"
    assert all(c["thread-id"] > 0 for c in cpus)


def test_raw_qmp_protocol(guest):
    q = QMP(guest, negotiate=False)
    assert "QMP" in q.greeting
    r = q.execute("query-status")
    assert r["error"]["class"] == "CommandNotFound"
    assert "return" in q.execute("qmp_capabilities")
    assert q.ok("query-status") == {"status": "running", "running": True}
    r = q.execute("no-such-command")
    assert r["error"]["class"] == "CommandNotFound"
    r = q.execute("translate", cpu="zero", gva=1)
    assert r["error"]["class"] == "GenericError"
    q.send_raw(b'{"execute": broken json}\n')
    err = q.recv()
    assert err["error"]["class"] == "GenericError"
    q.ok("stop")
    assert q.ok("query-status")["status"] == "paused"
    q.ok("cont")
    deadline = time.time() + 5
    while len([e for e in q.events if e["event"] in ("STOP", "RESUME")]) < 2:
        q.events.append(q.recv())
        assert time.time() < deadline
    assert [e["event"] for e in q.events][:2] == ["STOP", "RESUME"]
    q.close()


def test_two_clients_at_once(guest):
    a, b = QMP(guest), QMP(guest)
    assert a.ok("query-status")["running"]
    assert b.ok("query-status")["running"]
    a.close()
    b.close()


def test_stop_cont_100_times_with_two_spinning_vcpus(tmp_path):
    sock = tmp_path / "spin.sock"
    g = Running("--kernel", TESTKERNEL, "--append", "spin", "--cpus", "2",
                "--api-sock", sock)
    try:
        # The whole address, up to its line end: output comes in pieces.
        m = g.wait_for_re(r"spin: counters at 0x([0-9a-f]+)\r?\n",
                          timeout=60)
        assert m, g.out
        time.sleep(0.1)
        counters = int(m.group(1), 16)
        q = QMP(sock)

        def read():
            d = base64.b64decode(q.ok("read-memory", gpa=counters,
                                      len=16)["data"])
            return int.from_bytes(d[:8], "little"), \
                int.from_bytes(d[8:], "little")

        first = None
        for _ in range(100):
            q.ok("stop")
            assert q.ok("query-status")["status"] == "paused"
            before = read()
            time.sleep(0.002)
            assert read() == before  # nothing moves while stopped
            assert {c["state"] for c in q.ok("query-cpus-fast")} == \
                {"paused"}
            q.ok("cont")
            first = first or before
        time.sleep(0.2)
        q.ok("stop")
        last = read()
        q.ok("cont")
        assert last[0] > first[0] and last[1] > first[1], (first, last)
        q.close()
    finally:
        r = g.finish(signal.SIGTERM)
    assert r.status == 130, r


def test_paused_start_then_cont(tmp_path):
    sock = tmp_path / "p.sock"
    g = Running("--kernel", TESTKERNEL, "--append", "hello", "--paused",
                "--api-sock", sock)
    try:
        assert wait_for_socket(sock)
        time.sleep(0.3)
        q = QMP(sock)
        assert q.ok("query-status")["status"] == "paused"
        regs = q.ok("query-registers", cpu=0)
        # before the first instruction: the multiboot entry state
        assert int(regs["gprs"]["rax"], 16) == 0x2BADB002
        assert int(regs["rip"], 16) == entry_point(TESTKERNEL)
        assert regs["mode"] == "protected"
        assert "PG" not in regs["cr0"]["flags"]
        assert g.p.poll() is None and b"Hello" not in g.out
        q.ok("cont")
    except BaseException:
        g.finish(signal.SIGKILL)
        raise
    r = g.finish(timeout=30)
    assert r.status == 1, r
    assert "Hello from the kvmscope test guest!" in r.out


def test_quit_command(tmp_path):
    sock = tmp_path / "q.sock"
    g = Running("--kernel", TESTKERNEL, "--append", "pagetables",
                "--api-sock", sock)
    assert g.wait_for("pagetables: ready")
    rc, out, err = ctl(sock, "quit", json_out=False)
    assert rc == 0, err
    r = g.finish(timeout=10)
    assert r.status == 130, r
    assert not os.path.exists(sock)  # the socket is removed


def test_api_sock_refuses_a_regular_file(tmp_path):
    path = tmp_path / "not-a-socket"
    path.write_text("precious")
    r = run_kvmscope("--kernel", TESTKERNEL, "--append", "hello",
                     "--api-sock", path)
    assert r.status == 2, r
    assert "not a socket" in r.err
    assert path.read_text() == "precious"


def test_paused_needs_api_sock():
    r = run_kvmscope("--kernel", TESTKERNEL, "--paused")
    assert r.status == 2 and "--api-sock" in r.err
