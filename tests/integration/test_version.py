"""One version: meson.build's project(version: ...) is what `kvmscope
--version`, `kvmscope version`, the QMP greeting and query-version say
(test_qmp.py checks that query-version is the greeting's, exactly)."""
import signal
import subprocess
import tempfile
import time

from conftest import (KVMSCOPE, QMP, TESTKERNEL, VERSION, Running,
                      wait_for_socket)


def test_version_option():
    for arg in ("--version", "version"):
        p = subprocess.run([str(KVMSCOPE), arg], capture_output=True,
                           text=True, timeout=10)
        assert p.returncode == 0, p
        assert p.stdout == "kvmscope %s\n" % VERSION, p
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
            greeting = q.greeting["QMP"]["version"]
            assert greeting["package"] == "kvmscope " + VERSION
            assert greeting["kvmscope"] == {"version": VERSION}
            assert q.ok("query-version") == greeting
            q.close()
        finally:
            r = g.finish(signal.SIGTERM)
        assert r.status == 130, r
