"""One version: meson.build's project(version: ...) is what `kvmscope
--version`, `kvmscope version`, the QMP greeting and query-version say."""
import re
import signal
import subprocess
import tempfile
import time

from conftest import KVMSCOPE, QMP, ROOT, TESTKERNEL, Running, wait_for_socket


def meson_version():
    text = (ROOT / "meson.build").read_text()
    m = re.search(r"project\([^)]*?version:\s*'([^']+)'", text, re.S)
    assert m, "no version in meson.build's project()"
    return m.group(1)


def test_version_option():
    for arg in ("--version", "version"):
        p = subprocess.run([str(KVMSCOPE), arg], capture_output=True,
                           text=True, timeout=10)
        assert p.returncode == 0, p
        assert p.stdout == "kvmscope %s\n" % meson_version(), p
        assert p.stderr == ""


def test_qmp_reports_the_same_version():
    with tempfile.TemporaryDirectory(prefix="ksver", dir="/tmp") as d:
        sock = d + "/api.sock"
        g = Running("--kernel", TESTKERNEL, "--append", "hello", "--paused",
                    "--api-sock", sock)
        try:
            assert wait_for_socket(sock), g.finish(signal.SIGKILL)
            time.sleep(0.3)  # bound, but maybe not yet listening
            q = QMP(sock)
            assert q.greeting["QMP"]["version"]["package"] == \
                "kvmscope " + meson_version()
            assert q.ok("query-version") == {
                "kvmscope": {"version": meson_version()}, "package": ""}
            q.close()
        finally:
            r = g.finish(signal.SIGTERM)
        assert r.status == 130, r
