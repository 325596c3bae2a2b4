"""trace-kvm / query-trace-kvm: in-kernel exits from kvm:kvm_exit and
kvm:kvm_entry of this VM's vCPU threads (perf_event_open on the
tracepoints), per reason counts and log2 histograms; the errors without
root; nothing left behind after off or SIGTERM.

Skipped, with the reason printed, only on a kernel without tracefs."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import KVMSCOPE, QMP, TESTKERNEL, Running, wait_for_socket

TRACEFS = "/sys/kernel/tracing"
PVM = os.path.exists("/sys/module/kvm_pvm")


def kernel_has_tracefs():
    with open("/proc/filesystems") as f:
        return any(line.split()[-1] == "tracefs" for line in f if line.strip())


@pytest.fixture(scope="module", autouse=True)
def tracefs():
    if not kernel_has_tracefs():
        pytest.skip("this kernel has no tracefs (not in /proc/filesystems): "
                    "trace-kvm cannot work here")
    if not os.path.isdir(TRACEFS + "/events"):
        assert os.geteuid() == 0, "tracefs not mounted and not root"
        subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS],
                       check=True)
    assert os.path.isdir(TRACEFS + "/events/kvm"), "no kvm tracepoints"


@pytest.fixture
def guest(tmp_path):
    sock = tmp_path / "t.sock"
    g = Running("--kernel", TESTKERNEL, "--append", "pio 2000000000",
                "--api-sock", sock)
    assert wait_for_socket(sock), g.finish(signal.SIGKILL)
    c = connect(sock)
    yield g, c, sock
    c.close()
    if g.p.poll() is None:
        g.finish(signal.SIGKILL)


def connect(sock, timeout=10):
    """QMP on sock, retried while it is bound but not listening yet."""
    deadline = time.time() + timeout
    while True:
        try:
            return QMP(sock)
        except ConnectionRefusedError:
            if time.time() > deadline:
                raise
            time.sleep(0.02)


def perf_fds(pid):
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if "perf_event" in os.readlink("/proc/%d/fd/%s" % (pid, fd)):
                n += 1
        except OSError:
            pass
    return n


def check_reasons(v):
    for r in v["reasons"]:
        assert len(r["histogram"]) == 32
        assert sum(r["histogram"]) == r["timed"]
        assert r["timed"] <= r["count"]
        assert r["avg-ns"] == (r["sum-ns"] // r["timed"] if r["timed"]
                               else 0)
        assert r["name"]


def test_trace_counts_this_vms_vcpu_threads(guest):
    g, c, sock = guest
    pid = g.p.pid
    tid = c.ok("query-cpus-fast")[0]["thread-id"]
    assert perf_fds(pid) == 0
    on = c.ok("trace-kvm", enable=True, events="all")
    assert on["enabled"] and on["threads"] == [tid], on
    assert perf_fds(pid) > 0
    time.sleep(1)
    c.ok("stop")  # the counters are read one after another: hold them
    r = c.ok("query-trace-kvm")
    c.ok("cont")
    assert r["enabled"] and r["seconds"] > 0.9, r
    assert "bucket i: 2^i <= ns < 2^(i+1)" in r["buckets"]
    assert "VMX" in r["naming"] and "SVM" in r["naming"]
    (v,) = r["vcpus"]
    assert v["thread-id"] == tid and v["lost"] == 0, v
    check_reasons(v)
    ev = v["events"]
    # The guest's `out %al,$0x80` loop: every one is a kvm_pio, and every
    # one reaches kvmscope (kvm_userspace_exit), as do a few kicks (the
    # stop above) and the odd interrupt; one exit may straddle the start
    # (the counters are one perf group: they start at the same instant).
    assert ev["kvm_pio"] > 1000, v
    assert -1 <= ev["kvm_userspace_exit"] - ev["kvm_pio"] <= 10, ev
    if PVM:
        # kvm_pvm fires no kvm_exit/kvm_entry: said so, no reasons made up.
        assert v["exits"] == 0 and v["reasons"] == [], v
        assert "kvm_pvm" in r["note"] and "events=default" in r["note"], r
    else:
        assert v["exits"] > 1000 and v["entries"] > 1000, v
        names = {x["name"] for x in v["reasons"]}
        assert names & {"IO_INSTRUCTION", "io"}, names
    print("trace-kvm on this host: exits %d, kvm_pio %d/s, note: %s" % (
        v["exits"], ev["kvm_pio"] / r["seconds"], r.get("note", "-")))

    off = c.ok("trace-kvm", enable=False)
    assert off["enabled"] is False
    assert perf_fds(pid) == 0
    frozen = c.ok("query-trace-kvm")
    assert frozen["enabled"] is False
    assert frozen["vcpus"][0]["events"]["kvm_pio"] >= ev["kvm_pio"]
    # Off twice is fine; on again starts afresh.
    c.ok("trace-kvm", enable=False)
    c.ok("trace-kvm", enable=True, events="all")
    again = c.ok("query-trace-kvm")
    assert again["vcpus"][0]["events"]["kvm_pio"] < \
        frozen["vcpus"][0]["events"]["kvm_pio"]
    # Without events= only kvm_exit/kvm_entry: every perf event costs.
    c.ok("trace-kvm", enable=False)
    c.ok("trace-kvm", enable=True)
    assert c.ok("query-trace-kvm")["vcpus"][0]["events"] == {}
    c.ok("trace-kvm", enable=False)
    c.ok("trace-kvm", enable=True, events="default")
    ev = c.ok("query-trace-kvm")["vcpus"][0]["events"]
    assert "kvm_pio" in ev and "kvm_fpu" not in ev, ev


def test_trace_errors(guest):
    g, c, sock = guest
    e = c.execute("query-trace-kvm")["error"]["desc"]
    assert "trace-kvm enable=on" in e
    e = c.execute("trace-kvm")["error"]["desc"]
    assert "enable=on or enable=off" in e
    e = c.execute("trace-kvm", enable=True, bogus=1)["error"]["desc"]
    assert "bogus" in e
    e = c.execute("trace-kvm", enable=True, events="kvm_pio,nope")
    assert "'nope' is not a kvm tracepoint" in e["error"]["desc"], e
    assert c.ok("trace-kvm", enable=False)["enabled"] is False


def test_trace_through_ctl_and_sigterm(guest):
    g, c, sock = guest
    p = subprocess.run([str(KVMSCOPE), "ctl", str(sock), "trace-kvm",
                        "enable=on", "events=kvm_pio,kvm_userspace_exit"], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0, p
    assert p.stdout.startswith("trace-kvm: on (perf_event_open"), p
    p = subprocess.run([str(KVMSCOPE), "ctl", str(sock), "query-trace-kvm"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and "vCPU 0 (thread " in p.stdout, p
    assert "  events:" in p.stdout, p
    before = set(os.listdir(TRACEFS + "/instances"))
    r = g.finish(signal.SIGTERM)
    assert r.status == 130, r
    # perf events close with the process; no tracefs instance is used.
    assert set(os.listdir(TRACEFS + "/instances")) == before
    assert not [d for d in before if d.startswith("kvmscope")]


def test_trace_needs_root():
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to an unprivileged user")
    d = tempfile.mkdtemp(prefix="kvmscope-trace-")
    os.chmod(d, 0o777)
    sock = os.path.join(d, "u.sock")
    # The unprivileged user may not reach the build tree (a clone in a
    # 0700 directory): give it its own copies of kvmscope and the kernel.
    binary = shutil.copy(KVMSCOPE, os.path.join(d, "kvmscope"))
    kernel = shutil.copy(TESTKERNEL, os.path.join(d, "testkernel.elf"))
    os.chmod(binary, 0o755)
    os.chmod(kernel, 0o644)
    st = os.stat("/dev/kvm")
    if st.st_mode & 0o060 == 0o060:  # the kvm group: an ordinary user
        who = ["--reuid=65534", "--regid=65534", "--groups=%d" % st.st_gid]
    else:  # /dev/kvm is root's alone: root with no capabilities at all
        who = ["--bounding-set=-all"]
    g = subprocess.Popen(
        ["setpriv"] + who + ["--inh-caps=-all", binary, "run",
         "--kernel", kernel, "--append", "pio 2000000000",
         "--api-sock", str(sock)], stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    try:
        assert wait_for_socket(sock), g.stderr.read()
        c = connect(sock)
        e = c.execute("trace-kvm", enable=True)
        assert "error" in e, e
        assert "root" in e["error"]["desc"], e
        c.close()
    finally:
        g.kill()
        g.wait()
        shutil.rmtree(d, ignore_errors=True)


def test_trace_on_at_once_with_paused(tmp_path):
    # The first command after start: the vCPU thread may not have named
    # itself yet; trace-kvm waits for it instead of failing.
    sock = tmp_path / "p.sock"
    g = Running("--kernel", TESTKERNEL, "--append", "pio 1000", "--paused",
                "--api-sock", sock)
    try:
        assert wait_for_socket(sock)
        c = connect(sock)
        on = c.ok("trace-kvm", enable=True)
        assert on["threads"][0] > 0, on
        assert on["threads"] == [x["thread-id"] for x in
                                 c.ok("query-cpus-fast")]
        c.ok("quit")
        c.close()
    finally:
        g.finish(signal.SIGKILL)


def test_top_shows_in_kernel_events_while_tracing(guest):
    g, c, sock = guest
    c.ok("trace-kvm", enable=True, events="all")
    p = subprocess.run([str(KVMSCOPE), "top", "--once", "--interval", "0.5",
                        str(sock)], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0, p
    ev = p.stdout.split("in-kernel events/s (trace-kvm):\n")[1]
    rates = {}
    for line in ev.splitlines():
        if not line.startswith("  "):
            break
        name, rate = line.split()[:2]
        rates[name] = float(rate.rstrip("/s"))
    # The PIO loop: about as many kvm_pio as userspace exits per second.
    assert rates["kvm_pio"] > 1000, p.stdout
    assert abs(rates["kvm_pio"] - rates["kvm_userspace_exit"]) < \
        0.05 * rates["kvm_pio"], p.stdout
    assert "in-kernel exits/s by reason (trace-kvm):" in p.stdout


def test_trace_without_tracefs_mounted(tmp_path):
    # tracefs unmounted in a private mount namespace only: the host's
    # mount (and anyone using it) is untouched.
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare(1) for a private mount namespace")
    sock = tmp_path / "n.sock"
    script = ("umount %s 2>/dev/null; umount /sys/kernel/debug/tracing "
              "2>/dev/null; exec %s run --kernel %s --append 'pio "
              "2000000000' --api-sock %s" % (TRACEFS, KVMSCOPE, TESTKERNEL,
                                              sock))
    g = subprocess.Popen(["unshare", "--mount", "--propagation", "private",
                          "sh", "-c", script], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    try:
        assert wait_for_socket(sock), g.stderr.read()
        c = connect(sock)
        e = c.execute("trace-kvm", enable=True)["error"]["desc"]
        assert "tracefs is not mounted" in e, e
        assert "mount -t tracefs nodev /sys/kernel/tracing" in e, e
        c.close()
    finally:
        g.kill()
        g.wait()
    assert os.path.isdir(TRACEFS + "/events/kvm")  # still mounted here
