"""Shared helpers for integration tests: real /dev/kvm, real guests."""
import os
import pathlib
import re
import shutil
import signal
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("KVMSCOPE_BUILD", ROOT / "build"))
KVMSCOPE = BUILD / "kvmscope"
TESTKERNEL = BUILD / "guests" / "testkernel" / "testkernel.elf"
KNOWN_MAPPINGS = ROOT / "guests" / "testkernel" / "known_mappings.h"
# kvmscope's one version: meson.build's project(version: ...).
VERSION = re.search(r"project\([^)]*?version:\s*'([^']+)'",
                    (ROOT / "meson.build").read_text(), re.S).group(1)


class Result:
    def __init__(self, status, out, err):
        self.status = status
        self.out = out
        self.err = err

    def __repr__(self):
        return "status %d\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
            self.status, self.out, self.err)


def run_kvmscope(*args, timeout=60, stdin=subprocess.DEVNULL, input=None):
    """Run `kvmscope run ...` to completion and return a Result."""
    cmd = [str(KVMSCOPE), "run"] + [str(a) for a in args]
    p = subprocess.run(cmd, stdin=None if input is not None else stdin,
                       input=input, capture_output=True, timeout=timeout)
    return Result(p.returncode, p.stdout.decode(errors="replace"),
                  p.stderr.decode(errors="replace"))


def run_guest(scenario, *extra, timeout=60, **kw):
    return run_kvmscope("--kernel", TESTKERNEL, "--append", scenario, *extra,
                        timeout=timeout, **kw)


class Running:
    """A kvmscope process left running (for signals, consoles...)."""

    def __init__(self, *args, stdin=subprocess.DEVNULL, netns=None):
        cmd = [str(KVMSCOPE), "run"] + [str(a) for a in args]
        if netns:  # ip execs kvmscope in the namespace: same pid
            cmd = ["ip", "netns", "exec", netns] + cmd
        self.p = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.out = b""
        os.set_blocking(self.p.stdout.fileno(), False)

    def wait_for(self, text, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            chunk = self.p.stdout.read()
            if chunk:
                self.out += chunk
            if text.encode() in self.out:
                return True
            if self.p.poll() is not None:
                break
            time.sleep(0.02)
        return False

    def wait_for_re(self, pattern, timeout=30):
        """Read output until the regex matches; the match, or None.

        For values printed by the guest: a match on the text before the
        value could see only part of it, as output arrives in pieces.
        """
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(pattern, self.out.decode(errors="replace"))
            if m:
                return m
            chunk = self.p.stdout.read()
            if chunk:
                self.out += chunk
                continue
            if self.p.poll() is not None:
                break
            time.sleep(0.02)
        return None

    def finish(self, sig=None, timeout=30):
        os.set_blocking(self.p.stdout.fileno(), True)
        if sig is not None:
            self.p.send_signal(sig)
        try:
            rest, err = self.p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rest, err = self.p.communicate()
        return Result(self.p.returncode,
                      (self.out + (rest or b"")).decode(errors="replace"),
                      err.decode(errors="replace"))


def known_mappings():
    """KM_* numeric constants from the test guest's known_mappings.h."""
    text = KNOWN_MAPPINGS.read_text()
    return {m.group(1): int(m.group(2), 16) for m in re.finditer(
        r"#define (KM_\w+) (0x[0-9a-fA-F]+)ULL?", text)}


@pytest.fixture(scope="session", autouse=True)
def built():
    if not KVMSCOPE.exists() or not TESTKERNEL.exists():
        pytest.fail("build first: make (missing %s or %s)" % (KVMSCOPE,
                                                               TESTKERNEL))
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        pytest.fail("/dev/kvm is not usable; integration tests need KVM")


# Tools the tests drive. scripts/install-deps.sh installs them, so a missing
# one is a failure, not a skip.
def need_tool(name, package):
    path = shutil.which(name)
    if path is None:
        pytest.fail("%s missing: run scripts/install-deps.sh (package %s)" %
                    (name, package), pytrace=False)
    return path


@pytest.fixture(scope="session")
def need_gdb():
    return need_tool("gdb", "gdb")


@pytest.fixture(scope="session")
def need_qemu():
    return need_tool("qemu-system-x86_64", "qemu-system-x86")


# In CI (CI or KVMSCOPE_NO_SKIP set) a skipped test counts as failed: the
# environment there has everything the tests need.
STRICT_SKIPS = bool(os.environ.get("CI") or os.environ.get("KVMSCOPE_NO_SKIP"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if STRICT_SKIPS and rep.skipped and not hasattr(rep, "wasxfail"):
        why = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else \
            rep.longrepr
        rep.outcome = "failed"
        rep.longrepr = "skipped, which counts as a failure in CI: %s" % why


class QMP:
    """A minimal QMP client over the control socket (raw protocol)."""

    def __init__(self, path, negotiate=True, timeout=30):
        import json
        import socket
        self.json = json
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(str(path))
        self.buf = b""
        self.events = []
        self.greeting = self.recv()
        self.next_id = 1
        if negotiate:
            assert "return" in self.execute("qmp_capabilities")

    def recv(self):
        dec = self.json.JSONDecoder()
        while True:
            text = self.buf.decode(errors="replace").lstrip()
            if text:
                try:
                    obj, end = dec.raw_decode(text)
                    self.buf = text[end:].encode()
                    return obj
                except ValueError:
                    pass
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise EOFError("control socket closed")
            self.buf += chunk

    def send_raw(self, data):
        self.s.sendall(data)

    def execute(self, cmd, **args):
        req = {"execute": cmd, "id": self.next_id}
        self.next_id += 1
        if args:
            req["arguments"] = args
        self.s.sendall(self.json.dumps(req).encode() + b"\n")
        while True:
            r = self.recv()
            if "event" in r:
                self.events.append(r)
                continue
            assert r.get("id") == req["id"], r
            return r

    def ok(self, cmd, **args):
        r = self.execute(cmd, **args)
        assert "return" in r, r
        return r["return"]

    def close(self):
        self.s.close()


def wait_for_socket(path, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.02)
    return False
