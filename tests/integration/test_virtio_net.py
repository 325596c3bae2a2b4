"""virtio-net over TAP on the default Linux guest, all traffic inside a
network namespace the test creates: the guest's eth0 has the MAC
kvmscope gave it, pings the host end of the TAP and is pinged back, and
TCP carries a known payload both ways byte-exact. Bad --net specs are
refused before the VM starts.
"""
import base64
import hashlib
import os
import re
import signal
import subprocess
import uuid

import pytest

from conftest import KVMSCOPE, QMP, ROOT, TESTKERNEL, Running, \
    run_kvmscope, wait_for_socket

BOOT_TIMEOUT = 400
HOST_IP, GUEST_IP = "10.0.2.1", "10.0.2.15"
MAC = "52:54:00:ab:cd:ef"
PAYLOAD = bytes(range(256)) * 64  # 16 KiB
GUEST_COMMAND = (
    "ip link set eth0 up; ip addr add %s/24 dev eth0; "
    "echo MAC $(cat /sys/class/net/eth0/address); "
    "ping -c 2 -W 10 %s > /tmp/ping; echo PING $?; "
    "echo FROMHOST $(nc %s 5555 | sha256sum); "
    "dd if=/dev/zero bs=1024 count=16 2>/dev/null | tr '\\000' 'K' | "
    "nc %s 5556; echo SENT; echo NETDONE; sleep 100000"
    % (GUEST_IP, HOST_IP, HOST_IP, HOST_IP))

# Runs in the namespace: serves PAYLOAD on 5555, saves what 5556 gets.
SERVER = r"""
import socket, sys, threading
payload = bytes(range(256)) * 64
def serve():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("%s", 5555)); s.listen(1)
    c, _ = s.accept(); c.sendall(payload); c.close()
def sink():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("%s", 5556)); s.listen(1)
    c, _ = s.accept(); data = b""
    while True:
        d = c.recv(65536)
        if not d: break
        data += d
    open(sys.argv[1], "wb").write(data)
t = threading.Thread(target=serve); t.start(); sink(); t.join()
""" % (HOST_IP, HOST_IP)


def built(script):
    out = subprocess.run([str(ROOT / "guests/linux" / script)], check=True,
                         capture_output=True, text=True, timeout=3600)
    return out.stdout.strip().splitlines()[-1]


def ns(name, *cmd, check=True):
    return subprocess.run(["ip", "netns", "exec", name] + list(cmd),
                          check=check, capture_output=True, text=True,
                          timeout=60)


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    vmlinux, initrd = built("build-kernel.sh"), built("build-initramfs.sh")
    tmp = tmp_path_factory.mktemp("net")
    name = "ks-" + uuid.uuid4().hex[:8]
    subprocess.run(["ip", "netns", "add", name], check=True)
    server = None
    g = None
    try:
        ns(name, "ip", "link", "set", "lo", "up")
        ns(name, "ip", "tuntap", "add", "mode", "tap", "kst0")
        ns(name, "ip", "addr", "add", HOST_IP + "/24", "dev", "kst0")
        ns(name, "ip", "link", "set", "kst0", "up")
        received = tmp / "received"
        server = subprocess.Popen(["ip", "netns", "exec", name,
                                   "/usr/bin/python3", "-c", SERVER,
                                   str(received)])
        sock = tmp / "vm.sock"
        run = base64.b64encode(GUEST_COMMAND.encode()).decode()
        g = Running("--kernel", vmlinux, "--initrd", initrd, "--mem", "256M",
                    "--net", "tap:kst0,mac=" + MAC, "--append",
                    "console=ttyS0 quiet kvmscope.run=" + run,
                    "--api-sock", sock, netns=name)
        assert g.wait_for("NETDONE", timeout=BOOT_TIMEOUT), \
            g.finish(signal.SIGKILL)
        server.wait(timeout=60)
        out = g.out.decode(errors="replace").replace("\r\n", "\n")
        yield {"ns": name, "out": out, "received": received, "g": g,
               "sock": sock}
    finally:
        if g is not None and g.p.poll() is None:
            g.finish(signal.SIGKILL)
        if server is not None and server.poll() is None:
            server.kill()
        subprocess.run(["ip", "netns", "del", name])


def field(out, key):
    m = re.search(r"^%s (.*)$" % key, out, re.M)
    assert m, out[-3000:]
    return m.group(1)


def test_mac_and_ping_from_the_guest(net):
    assert field(net["out"], "MAC") == MAC
    assert field(net["out"], "PING") == "0"


def test_host_pings_the_guest(net):
    # busybox (from the initramfs build) has ping; the host may not
    p = ns(net["ns"], "busybox", "ping", "-c", "2", "-W", "10", GUEST_IP,
           check=False)
    assert p.returncode == 0, p.stdout + p.stderr


def test_tcp_both_ways_byte_exact(net):
    assert field(net["out"], "FROMHOST").split()[0] == \
        hashlib.sha256(PAYLOAD).hexdigest()
    assert net["received"].read_bytes() == b"K" * 16384


def test_registers_readable_while_traffic_flowed(net):
    q = QMP(net["sock"])
    r = q.ok("query-registers", cpu=0, pause=True)
    q.close()
    assert "rip" in r


TAP_USAGE = "tap:IFNAME[,mac=MAC][,offload=on|off]"
USER_USAGE = ("user[,mac=MAC][,net=ADDR/PREFIX][,hostfwd=[tcp|udp]:[HOSTADDR]:"
              "HOSTPORT-[GUESTADDR]:GUESTPORT]")


@pytest.mark.parametrize("spec,message", [
    ("bogus", "--net 'bogus': use %s or %s" % (TAP_USAGE, USER_USAGE)),
    ("tap:", "--net 'tap:': give an interface name of 1 to 15 characters"),
    ("tap:x,mac=01:00:00:00:00:01", "--net 'tap:x,mac=01:00:00:00:00:01': "
     "mac=01:00:00:00:00:01: give a unicast address XX:XX:XX:XX:XX:XX"),
    ("tap:x,speed=10", "--net 'tap:x,speed=10': unknown option 'speed=10': "
     "use " + TAP_USAGE),
    ("tap:x,offload=maybe", "--net 'tap:x,offload=maybe': offload=maybe: use "
     "on or off"),
])
def test_bad_net_is_refused(spec, message):
    r = run_kvmscope("--kernel", TESTKERNEL, "--append", "hello", "--net",
                     spec)
    assert r.status == 2, r
    assert r.err.strip() == "kvmscope: " + message
