"""profile-start / profile-stop on the test kernel's spin scenario: the
sampled RIPs name the spinning function; folded stacks and the SVG flame
graph agree with the reply."""
import signal
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import QMP, TESTKERNEL, Running

SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def spin(tmp_path_factory):
    d = tmp_path_factory.mktemp("profile")
    sock = d / "spin.sock"
    g = Running("--kernel", TESTKERNEL, "--append", "spin", "--cpus", "2",
                "--symbols", TESTKERNEL, "--api-sock", sock)
    m = g.wait_for_re(r"spin: counters at 0x([0-9a-f]+)\r?\n", timeout=60)
    assert m, g.out
    q = QMP(sock)
    yield q, d
    q.close()
    r = g.finish(signal.SIGTERM)
    assert r.status == 130, r


def folded(path):
    stacks = {}
    for line in path.read_text().splitlines():
        stack, count = line.rsplit(" ", 1)
        assert stack not in stacks, line
        stacks[stack] = int(count)
    return stacks


def svg_labels(path):
    root = ET.parse(path).getroot()  # must be well-formed XML
    assert root.tag == SVG_NS + "svg"
    assert root.get("viewBox")
    return [t.text for t in root.iter(SVG_NS + "text") if t.text], \
        [t.text for t in root.iter(SVG_NS + "title")]


def test_profile_names_the_spinning_function(spin):
    q, d = spin
    assert q.ok("profile-start", hz=200) == {"hz": 200, "cpus": [0, 1]}
    time.sleep(1.0)
    out = d / "spin.folded"
    r = q.ok("profile-stop", path=str(out))
    assert r["path"] == str(out) and r["svg"] == str(out) + ".svg"
    assert r["hz"] == 200 and 0.9 < r["duration-s"] < 3
    # Two vCPUs at 200 Hz for ~1 s; a request not yet answered when the
    # next one comes is merged with it, so a few may be fewer.
    assert 200 <= r["samples"] <= r["requested"] <= 2 * 200 * 3
    assert [p["cpu"] for p in r["per-vcpu"]] == [0, 1]
    assert sum(p["samples"] for p in r["per-vcpu"]) == r["samples"]
    assert all(p["samples"] > 50 for p in r["per-vcpu"]), r
    assert r["top"][0]["function"] == "spin_forever", r
    assert r["top"][0]["percent"] > 90

    stacks = folded(out)
    assert sum(stacks.values()) == r["samples"]
    top = max(stacks, key=stacks.get)
    assert top.endswith(";kernel;spin_forever"), stacks
    first = out.read_text().splitlines()[0]
    assert first.rsplit(" ", 1)[0] == top  # most samples first
    assert {s.split(";")[0] for s in stacks} == {"vcpu0", "vcpu1"}

    texts, titles = svg_labels(str(out) + ".svg")
    assert "spin_forever" in texts
    total = [t for t in titles if t.startswith("all ")]
    assert total == ["all (%d samples, 100.00%%)" % r["samples"]], titles


def test_profile_one_cpu_and_svg_path(spin):
    q, d = spin
    assert q.ok("profile-start", hz=100, cpu="1") == {"hz": 100,
                                                       "cpus": [1]}
    time.sleep(0.5)
    r = q.ok("profile-stop", path=str(d / "one.folded"),
             svg=str(d / "one.svg"))
    assert [p["cpu"] for p in r["per-vcpu"]] == [1]
    stacks = folded(d / "one.folded")
    assert stacks and all(s.startswith("vcpu1;") for s in stacks)
    assert "spin_forever" in svg_labels(d / "one.svg")[0]
    assert not (d / "one.folded.svg").exists()


def test_profile_errors(spin):
    q, d = spin

    def err(cmd, **args):
        r = q.execute(cmd, **args)
        assert "error" in r, r
        return r["error"]["desc"]

    assert err("profile-start", hz=0) == \
        "argument 'hz' must be between 1 and 10000 (got 0)"
    assert err("profile-start", hz=100000) == \
        "argument 'hz' must be between 1 and 10000 (got 100000)"
    assert err("profile-start") == "missing argument 'hz'"
    assert err("profile-start", hz=10, cpu="2") == \
        "argument 'cpu' must name vCPUs 0 to 1 (got 2)"
    assert err("profile-start", hz=10, cpu="0,x") == \
        "argument 'cpu' value '0,x' is not a list like 0,2-3"
    assert err("profile-stop", path=str(d / "x")) == \
        "no profile is running: profile-start hz=N first"

    q.ok("profile-start", hz=50)
    assert err("profile-start", hz=50) == \
        "a profile is already running: profile-stop path=FILE first"
    missing = d / "no-such-dir" / "p.folded"
    assert err("profile-stop", path=str(missing)) == \
        "cannot write %s: No such file or directory" % missing
    # A refused path keeps the profile running: stop it with a good one.
    time.sleep(0.2)
    r = q.ok("profile-stop", path=str(d / "late.folded"))
    assert r["samples"] > 0
    assert not any(p.name.startswith("late.folded.tmp")
                   for p in d.iterdir())  # temporary names renamed
