"""Exit statistics on the real /dev/kvm: kvmscope's own provider (counts
and log2 latency histograms per reason, port and MMIO region), KVM's binary
statistics through query-stats, their schemas, --stats and ctl's bars."""
import json
import re
import signal
import subprocess
import time

import pytest

from conftest import KVMSCOPE, QMP, TESTKERNEL, Running, run_guest, \
    wait_for_socket

BUCKETS = 32
TYPES = {"cumulative", "instant", "peak", "linear-histogram",
         "log2-histogram"}
UNITS = {"bytes", "seconds", "cycles", "boolean"}
VCPU0 = "/machine/unattached/device[0]"


def bucket_of(ns):
    """kvmscope's convention: bucket i holds 2^i <= ns < 2^(i+1)."""
    return min(max(ns, 1).bit_length() - 1, BUCKETS - 1)


def by_name(result):
    return {s["name"]: s["value"] for s in result["stats"]}


def results(c, target, provider=None, **kw):
    args = {"target": target}
    if provider:
        args["providers"] = [{"provider": provider}]
    args.update(kw)
    return c.ok("query-stats", **args)


def one(res, provider, qom=None):
    for r in res:
        if r["provider"] == provider and r.get("qom-path") == qom:
            return by_name(r)
    raise AssertionError("no %s %s result in %r" % (provider, qom, res))


def check_histograms(stats):
    """Every kvmscope histogram: 32 buckets summing to its count."""
    seen = 0
    for name, v in stats.items():
        if not name.endswith(".latency-ns"):
            continue
        seen += 1
        count = stats[name[:-len("latency-ns")] + "count"]
        assert isinstance(v, list) and len(v) == BUCKETS, (name, v)
        assert sum(v) == count, (name, v, count)
        if count:
            assert stats[name[:-len("latency-ns")] + "max-ns"] > 0
    return seen


class Guest:
    """A test-guest scenario with a control socket; halted ones stay."""

    def __init__(self, tmp_path, scenario, *extra):
        self.sock = tmp_path / "stats.sock"
        self.g = Running("--kernel", TESTKERNEL, "--append", scenario,
                         "--api-sock", self.sock, *extra)
        assert wait_for_socket(self.sock), self.g.finish(signal.SIGKILL)
        self.c = QMP(self.sock)

    def wait_dead(self, timeout=20):
        """The scenario ended in cli; hlt and the watchdog saw it."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.c.ok("query-status")["status"] == "guest-panicked":
                return
            time.sleep(0.1)
        raise AssertionError("the guest never halted: %r" %
                             self.g.finish(signal.SIGKILL))

    def close(self):
        try:
            self.c.execute("quit")
        except (EOFError, OSError):
            pass
        self.c.close()
        return self.g.finish(timeout=30)


@pytest.fixture
def guest(tmp_path):
    made = []

    def start(scenario, *extra):
        made.append(Guest(tmp_path, scenario, *extra))
        return made[-1]
    yield start
    for g in made:
        if g.g.p.poll() is None:
            g.g.finish(signal.SIGKILL)


def test_pio_loop_counted_exactly(guest):
    g = guest("pio 5000 halt")
    g.wait_dead()
    vm = one(results(g.c, "vm", "kvmscope"), "kvmscope")
    assert vm["io.0x80.out.count"] == 5000, vm
    assert check_histograms(vm) >= 2  # 0x80 and the serial port at least
    cpu = one(results(g.c, "vcpu", "kvmscope"), "kvmscope", VCPU0)
    assert check_histograms(cpu) >= 1
    # every I/O exit is one of the ports'
    io = sum(v for k, v in vm.items()
             if k.startswith("io.0x") and k.endswith(".count"))
    assert cpu["exit.io.count"] == io, (cpu, vm)
    assert cpu["exits"] == sum(v for k, v in cpu.items()
                               if k.startswith("exit.") and
                               k.endswith(".count"))
    assert cpu["guest-ns"] > 0 and cpu["vmm-ns"] > 0
    # the same exits as KVM saw leave to user space; KVM counts in-kernel
    # ones too
    kvm = one(results(g.c, "vcpu", "kvm"), "kvm", VCPU0)
    assert kvm["exits"] >= cpu["exit.io.count"], (kvm["exits"], cpu)
    assert kvm["exits"] < 10 * cpu["exits"]
    g.close()


def test_mmio_loop_counted_exactly(guest):
    g = guest("mmio 5000 halt")
    g.wait_dead()
    vm = one(results(g.c, "vm", "kvmscope"), "kvmscope")
    # the loop's 5000 writes and the one read the scenario prints
    assert vm["mmio.unclaimed.0xd0000000.count"] == 5001, vm
    check_histograms(vm)
    cpu = one(results(g.c, "vcpu", "kvmscope"), "kvmscope", VCPU0)
    mmio = sum(v for k, v in vm.items()
               if k.startswith("mmio.") and k.endswith(".count"))
    assert cpu["exit.mmio.count"] == mmio
    g.close()


def test_slow_port_lands_in_its_bucket(guest, monkeypatch):
    """The test-slow device sleeps 1.3 ms per access: bucket 20 holds
    2^20..2^21 ns (1.05..2.10 ms)."""
    ns = 1300000
    monkeypatch.setenv("KVMSCOPE_TEST_SLOW_PORT_NS", str(ns))
    g = guest("slowpio 20 halt")
    g.wait_dead()
    vm = one(results(g.c, "vm", "kvmscope"), "kvmscope")
    h = vm["io.0xe0.out.latency-ns"]
    assert vm["io.0xe0.out.count"] == 20 and sum(h) == 20, vm
    want = bucket_of(ns)
    assert want == 20
    # nothing faster than the sleep; scheduling delay may push a few up
    assert sum(h[:want]) == 0, h
    assert h[want] >= 15, h
    assert vm["io.0xe0.out.max-ns"] >= ns
    g.close()


def test_query_stats_moves_and_agrees_while_running(guest):
    g = guest("pio 4000000000")
    time.sleep(0.3)
    first = results(g.c, "vcpu")
    time.sleep(0.5)
    second = results(g.c, "vcpu")
    # reading statistics never stops the VM
    assert g.c.ok("query-status")["status"] == "running"
    for prov, name in (("kvm", "exits"), ("kvmscope", "exits"),
                       ("kvmscope", "exit.io.count"),
                       ("kvmscope", "guest-ns")):
        a, b = one(first, prov, VCPU0)[name], one(second, prov, VCPU0)[name]
        assert b > a, (prov, name, a, b)
    # stopped, the two providers' counters can be compared
    g.c.ok("stop")
    stopped = results(g.c, "vcpu")
    kvm, ours = one(stopped, "kvm", VCPU0), one(stopped, "kvmscope", VCPU0)
    assert kvm["exits"] >= ours["exit.io.count"] > 1000, (kvm, ours)
    assert kvm["exits"] < 2 * ours["exits"], (kvm["exits"], ours["exits"])
    check_histograms(ours)

    # filters: vcpus by qom-path, providers with names
    r = g.c.ok("query-stats", target="vcpu", vcpus=[VCPU0],
               providers=[{"provider": "kvm", "names": ["exits"]},
                          {"provider": "kvmscope",
                           "names": ["exits", "exit.io.latency-ns"]}])
    assert [(x["provider"], x["qom-path"], sorted(by_name(x)))
            for x in r] == [("kvm", VCPU0, ["exits"]),
                            ("kvmscope", VCPU0,
                             ["exit.io.latency-ns", "exits"])], r
    assert g.c.ok("query-stats", target="vcpu",
                  vcpus=["/machine/unattached/device[7]"]) == []
    vm = g.c.ok("query-stats", target="vm")
    assert [x["provider"] for x in vm] == ["kvm", "kvmscope"]
    assert all("qom-path" not in x for x in vm)
    for bad in ({"target": "host"}, {"target": "vm", "vcpus": [VCPU0]},
                {"target": "vm", "providers": [{"provider": "qemu"}]},
                {}):
        assert "error" in g.c.execute("query-stats", **bad), bad
    g.close()


def test_schemas_describe_every_stat(guest):
    g = guest("pio 3000 halt")
    g.wait_dead()
    schemas = g.c.ok("query-stats-schemas")
    assert sorted((s["provider"], s["target"]) for s in schemas) == [
        ("kvm", "vcpu"), ("kvm", "vm"), ("kvmscope", "vcpu"),
        ("kvmscope", "vm")]
    for s in schemas:
        for e in s["stats"]:
            assert e["type"] in TYPES, e
            assert e.get("unit", "bytes") in UNITS, e
            assert e["base"] in (2, 10) and isinstance(e["exponent"], int)
            assert ("bucket-size" in e) == (e["type"] == "linear-histogram")
    desc = {(s["provider"], s["target"]): {e["name"]: e for e in s["stats"]}
            for s in schemas}
    for target, qom in (("vm", None), ("vcpu", VCPU0)):
        for prov in ("kvm", "kvmscope"):
            values = one(results(g.c, target), prov, qom)
            missing = set(values) - set(desc[(prov, target)])
            assert not missing, (prov, target, missing)
            for name, v in values.items():
                hist = desc[(prov, target)][name]["type"].endswith(
                    "histogram")
                assert isinstance(v, list) == hist, (name, v)
    kvm_vcpu = desc[("kvm", "vcpu")]
    print("KVM reports %d vCPU and %d VM statistics" %
          (len(kvm_vcpu), len(desc[("kvm", "vm")])))
    assert len(kvm_vcpu) >= 20 and kvm_vcpu["exits"]["type"] == "cumulative"
    lat = desc[("kvmscope", "vcpu")]["exit.io.latency-ns"]
    assert (lat["type"], lat["unit"], lat["exponent"]) == (
        "log2-histogram", "seconds", -9)
    assert [s["provider"] for s in g.c.ok("query-stats-schemas",
                                          provider="kvmscope")] == [
        "kvmscope", "kvmscope"]
    g.close()


def test_ctl_draws_histograms_as_bars(guest):
    g = guest("pio 2000 halt")
    g.wait_dead()
    p = subprocess.run([str(KVMSCOPE), "ctl", str(g.sock), "query-stats",
                        "target=vcpu"], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0, p.stderr
    assert "kvmscope " + VCPU0 in p.stdout and "kvm " + VCPU0 in p.stdout
    m = re.search(r"exit\.io\.latency-ns\n((?: +\S.*\|.*\n)+)", p.stdout)
    assert m, p.stdout
    bars = m.group(1).splitlines()
    assert re.search(r"\d+ ns - \d+ ns \|#+ *\| \d+", m.group(1)), bars
    # the bars' counts add up to the count above them
    total = sum(int(b.rsplit("|", 1)[1]) for b in bars)
    count = int(re.search(r"exit\.io\.count +(\d+)", p.stdout).group(1))
    assert total == count
    p = subprocess.run([str(KVMSCOPE), "ctl", "--json", str(g.sock),
                        "query-stats", "target=vcpu",
                        'vcpus=["%s"]' % VCPU0,
                        'providers=[{"provider": "kvmscope"}]'],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)["return"]
    assert [x["provider"] for x in r] == ["kvmscope"]
    g.close()


def duration(text):
    n, unit = text.split()
    return float(n) * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]


def test_stats_table_on_exit():
    r = run_guest("pio 3000", "--stats")
    assert r.status == 1, r
    d = r"(\d+(?:\.\d)? [nmu]?s)"
    m = re.search(r"^exits: io 0x80 out +(\d+) +%s +%s +%s +%s$" %
                  (d, d, d, d), r.err, re.M)
    assert m and int(m.group(1)) == 3000, r.err
    mean, p50, p99, top = (duration(m.group(i)) for i in (2, 3, 4, 5))
    assert 0 < p50 <= p99 <= top and mean <= top, r.err
    assert re.search(r"^exits: IO +(\d+) ", r.err, re.M), r.err
    assert re.search(r"^exits: reason +count +mean +p50 +p99 +max$", r.err,
                     re.M), r.err
    assert re.search(r"time in guest .*, in kvmscope .* in guest\)", r.err)


def test_no_exit_stats_knob(monkeypatch):
    monkeypatch.setenv("KVMSCOPE_NO_EXIT_STATS", "1")
    r = run_guest("pio 100", "--stats")
    assert r.status == 1, r
    assert "statistics are off (KVMSCOPE_NO_EXIT_STATS)" in r.err, r
