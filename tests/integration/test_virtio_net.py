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
import time
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


# --- offloads: negotiated bits, 12 MiB each way, throughput on and off ---

BULK = 12 << 20
# virtio-net feature bits (virtio 1.2, 5.1.3) the TAP row offers.
OFFLOAD_BITS = {"CSUM": 0, "GUEST_CSUM": 1, "GUEST_TSO4": 7,
                "GUEST_TSO6": 8, "GUEST_ECN": 9, "HOST_TSO4": 11,
                "HOST_TSO6": 12, "HOST_ECN": 13}
# Host -> guest: busybox wget from a Python HTTP server in the namespace
# (timed in the guest); guest -> host: the host's busybox wget from the
# guest's busybox httpd, which sends with sendfile (timed on the host).
# busybox nc moves 1 KiB per system call, too slow for 12 MiB here.
BULK_COMMAND = (
    "ip link set eth0 up; ip addr add %s/24 dev eth0; "
    "echo FEATURES $(cat /sys/class/net/eth0/device/features); "
    "echo T0 $(cut -d' ' -f1 /proc/uptime); "
    "wget -q -O /tmp/big http://%s:5557/big; "
    "echo T1 $(cut -d' ' -f1 /proc/uptime); "
    "echo BIGSHA $(sha256sum < /tmp/big); "
    "httpd -p 8080 -h /tmp; echo SERVING; sleep 100000"
    % (GUEST_IP, HOST_IP))


@pytest.fixture(scope="module", params=["on", "off"])
def bulk(request, tmp_path_factory):
    offload = request.param
    vmlinux, initrd = built("build-kernel.sh"), built("build-initramfs.sh")
    tmp = tmp_path_factory.mktemp("bulk-" + offload)
    sent, received = tmp / "big", tmp / "received"
    sent.write_bytes(os.urandom(BULK))
    name = "ks-" + uuid.uuid4().hex[:8]
    subprocess.run(["ip", "netns", "add", name], check=True)
    server = g = None
    try:
        ns(name, "ip", "link", "set", "lo", "up")
        ns(name, "ip", "tuntap", "add", "mode", "tap", "kst0")
        ns(name, "ip", "addr", "add", HOST_IP + "/24", "dev", "kst0")
        ns(name, "ip", "link", "set", "kst0", "up")
        server = subprocess.Popen(
            ["ip", "netns", "exec", name, "/usr/bin/python3", "-m",
             "http.server", "--bind", HOST_IP, "--directory", str(tmp),
             "5557"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        run = base64.b64encode(BULK_COMMAND.encode()).decode()
        g = Running("--kernel", vmlinux, "--initrd", initrd, "--mem", "256M",
                    "--net", "tap:kst0,offload=" + offload, "--append",
                    "console=ttyS0 quiet kvmscope.run=" + run, netns=name)
        assert g.wait_for("SERVING", timeout=BOOT_TIMEOUT + 600), \
            g.finish(signal.SIGKILL)

        def counters():
            return {k: int(ns(name, "cat", "/sys/class/net/kst0/statistics/"
                              + k).stdout) for k in
                    ("rx_bytes", "rx_packets", "tx_bytes", "tx_packets")}
        s1 = counters()  # host -> guest done
        start = time.monotonic()
        p = subprocess.run(["ip", "netns", "exec", name, "busybox", "wget",
                            "-q", "-O", str(received),
                            "http://%s:8080/big" % GUEST_IP],
                           capture_output=True, text=True, timeout=900)
        took = time.monotonic() - start
        assert p.returncode == 0, p.stderr
        s2 = counters()
        out = g.out.decode(errors="replace").replace("\r\n", "\n")
        t0, t1 = float(field(out, "T0")), float(field(out, "T1"))
        rx, tx = BULK / (t1 - t0) / 1e6, BULK / took / 1e6
        # The TAP's counters (frames from the guest are rx, to it tx; a
        # TSO frame counts once with all its bytes), in the phase where
        # each direction carried the data.
        to_guest = s1["tx_bytes"] / s1["tx_packets"]
        from_guest = ((s2["rx_bytes"] - s1["rx_bytes"]) /
                      (s2["rx_packets"] - s1["rx_packets"]))
        print("\nvirtio-net tap offload=%s: host->guest %.2f MB/s, "
              "guest->host %.2f MB/s (12 MiB each way); mean frame on the "
              "TAP %d bytes to the guest, %d from it" %
              (offload, rx, tx, to_guest, from_guest))
        yield {"offload": offload, "out": out, "sent": sent,
               "received": received, "rx": rx, "tx": tx,
               "from_guest": from_guest, "to_guest": to_guest}
    finally:
        if g is not None and g.p.poll() is None:
            g.finish(signal.SIGKILL)
        if server is not None and server.poll() is None:
            server.kill()
        subprocess.run(["ip", "netns", "del", name])


def test_offload_features_negotiated(bulk):
    bits = field(bulk["out"], "FEATURES")
    for name, bit in OFFLOAD_BITS.items():
        want = "1" if bulk["offload"] == "on" else "0"
        assert bits[bit] == want, (name, bits)
    assert bits[5] == "1" and bits[32] == "1"  # MAC, VERSION_1


def test_tso_frames_cross_the_tap_only_with_offloads(bulk):
    # Without TSO no frame can exceed the 1514-byte MTU frame, so neither
    # can the mean; with it the data goes in segments of up to 64 KiB.
    if bulk["offload"] == "on":
        assert bulk["from_guest"] > 1514 and bulk["to_guest"] > 1514, bulk
    else:
        assert bulk["from_guest"] <= 1514 and bulk["to_guest"] <= 1514, bulk


def test_bulk_tcp_both_ways_byte_exact(bulk):
    sent = bulk["sent"].read_bytes()
    # what the guest got ...
    assert field(bulk["out"], "BIGSHA").split()[0] == \
        hashlib.sha256(sent).hexdigest()
    # ... and what it sent back
    received = bulk["received"].read_bytes()
    assert len(received) == BULK
    assert received == sent
