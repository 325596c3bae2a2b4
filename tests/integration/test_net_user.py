"""virtio-net with --net user (libslirp) on the default Linux guest. No
TAP, no namespace, no privilege: the guest's eth0 gets 10.0.2.15, its
gateway and DNS by DHCP (busybox udhcpc) from slirp; it downloads a random
file from a Python HTTP server on the host's 127.0.0.1 through 10.0.2.2
(busybox wget) and fetches another over UDP from a TFTP server there
(busybox tftp), both checked by sha256; a hostfwd rule carries a random
payload from the host's 127.0.0.1:PORT to a guest `nc -l` and back byte-
exact. All traffic stays on this machine (127.0.0.1). Bad --net user
specs, and a hostfwd port already in use, are refused before the VM
starts.
"""
import base64
import functools
import hashlib
import http.server
import os
import re
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest

from conftest import TESTKERNEL, Running, run_kvmscope

BOOT_TIMEOUT = 400
GUEST_FWD_PORT = 7777
BLOB = os.urandom(1 << 20)  # 1 MiB over HTTP
TBLOB = os.urandom(96 << 10)  # 96 KiB over TFTP (UDP)
ECHO = os.urandom(128 << 10)  # 128 KiB through hostfwd and back

DHCP_SCRIPT = ('#!/bin/sh\n'
               '[ "$1" = bound ] || exit 0\n'
               'ip addr add $ip/$mask dev $interface\n'
               'ip route add default via $router\n'
               'echo "nameserver $dns" > /tmp/resolv\n')


def guest_command(http_port, tftp_port):
    return (
        "printf '%s' > /tmp/dhcp.sh; chmod +x /tmp/dhcp.sh; "
        "ip link set eth0 up; "
        "udhcpc -i eth0 -s /tmp/dhcp.sh -q -n -t 5 -T 2 >/dev/null 2>&1; "
        "echo DHCP $?; "
        "echo ADDR $(ip -4 -o addr show dev eth0 | "
        "sed -n 's/.*inet \\([0-9./]*\\).*/\\1/p'); "
        "echo ROUTE $(ip route show default); "
        "echo DNS $(cat /tmp/resolv); "
        "echo HTTP $(wget -q -O - http://10.0.2.2:%d/blob | sha256sum); "
        "tftp -g -r tblob -l /tmp/tblob 10.0.2.2 %d; "
        "echo TFTP $(sha256sum < /tmp/tblob); "
        "echo LISTEN; nc -l -p %d -e cat; echo FWDDONE; sleep 100000"
        % (DHCP_SCRIPT.replace("\n", "\\n"), http_port, tftp_port,
           GUEST_FWD_PORT))


def built(script):
    from conftest import ROOT
    out = subprocess.run([str(ROOT / "guests/linux" / script)], check=True,
                         capture_output=True, text=True, timeout=3600)
    return out.stdout.strip().splitlines()[-1]


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tftp_server(sock, files, stop):
    """RFC 1350 read requests, octet mode, 512-byte blocks, options
    ignored; replies come from the server's own port."""
    sock.settimeout(0.5)
    while not stop.is_set():
        try:
            pkt, peer = sock.recvfrom(2048)
        except socket.timeout:
            continue
        if struct.unpack("!H", pkt[:2])[0] != 1:  # RRQ
            continue
        name = pkt[2:].split(b"\0")[0].decode()
        data = files[name]
        block = 1
        while not stop.is_set():
            chunk = data[(block - 1) * 512:block * 512]
            for _ in range(20):
                sock.sendto(struct.pack("!HH", 3, block & 0xffff) + chunk,
                            peer)
                try:
                    ack, _ = sock.recvfrom(2048)
                except socket.timeout:
                    continue
                op, n = struct.unpack("!HH", ack[:4])
                if op == 4 and n == block & 0xffff:
                    break
            else:
                break
            if len(chunk) < 512:
                break
            block += 1


@pytest.fixture(scope="module")
def user(tmp_path_factory):
    vmlinux, initrd = built("build-kernel.sh"), built("build-initramfs.sh")
    tmp = tmp_path_factory.mktemp("netuser")
    (tmp / "blob").write_bytes(BLOB)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(tmp))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    tsock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tsock.bind(("127.0.0.1", 0))
    stop = threading.Event()
    threading.Thread(target=tftp_server, args=(tsock, {"tblob": TBLOB}, stop),
                     daemon=True).start()
    host_port = free_port()
    cmd = guest_command(httpd.server_address[1], tsock.getsockname()[1])
    run = base64.b64encode(cmd.encode()).decode()
    g = Running("--kernel", vmlinux, "--initrd", initrd, "--mem", "256M",
                "--net", "user,hostfwd=tcp:127.0.0.1:%d-:%d"
                % (host_port, GUEST_FWD_PORT),
                "--append", "console=ttyS0 quiet kvmscope.run=" + run)
    try:
        assert g.wait_for("LISTEN", timeout=BOOT_TIMEOUT), \
            g.finish(signal.SIGKILL)
        echoed, tries = None, 0
        # Until the guest's nc listens, slirp resets the forwarded
        # connection: the host sees EOF with nothing echoed. Retry.
        while echoed != ECHO and tries < 30:
            tries += 1
            echoed = echo_through(host_port, ECHO)
            if echoed != ECHO:
                time.sleep(1)
        out = g.out.decode(errors="replace").replace("\r\n", "\n")
        yield {"out": out, "echoed": echoed, "g": g}
    finally:
        if g.p.poll() is None:
            g.finish(signal.SIGKILL)
        stop.set()
        httpd.shutdown()
        tsock.close()


def echo_through(port, payload):
    s = socket.create_connection(("127.0.0.1", port), timeout=120)
    got = bytearray()
    try:
        def send():
            try:
                s.sendall(payload)
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        t = threading.Thread(target=send)
        t.start()
        while True:
            try:
                d = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not d:
                break
            got += d
        t.join()
    finally:
        s.close()
    return bytes(got)


def field(out, key):
    m = re.search(r"^%s ?(.*)$" % key, out, re.M)
    assert m, out[-3000:]
    return m.group(1).strip()


def test_dhcp_gives_qemus_addresses(user):
    out = user["out"]
    assert field(out, "DHCP") == "0", out[-3000:]
    assert field(out, "ADDR") == "10.0.2.15/24"
    assert field(out, "ROUTE").startswith("default via 10.0.2.2 dev eth0")
    assert field(out, "DNS") == "nameserver 10.0.2.3"


def test_http_download_from_host_loopback(user):
    assert field(user["out"], "HTTP").split()[0] == \
        hashlib.sha256(BLOB).hexdigest()


def test_udp_tftp_download_from_host_loopback(user):
    assert field(user["out"], "TFTP").split()[0] == \
        hashlib.sha256(TBLOB).hexdigest()


def test_hostfwd_tcp_byte_exact_both_ways(user):
    assert len(user["echoed"]) == len(ECHO)
    assert user["echoed"] == ECHO


USAGE = ("user[,mac=MAC][,net=ADDR/PREFIX][,hostfwd=[tcp|udp]:[HOSTADDR]:"
         "HOSTPORT-[GUESTADDR]:GUESTPORT]")
FWD = ("use [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT with ports 1 "
       "to 65535, e.g. hostfwd=tcp::2222-:22")


@pytest.mark.parametrize("spec,message", [
    ("user,speed=10", "--net 'user,speed=10': unknown option 'speed=10': "
     "use " + USAGE),
    ("user,hostfwd=tcp::0-:22", "--net 'user,hostfwd=tcp::0-:22': "
     "hostfwd=tcp::0-:22: " + FWD),
    ("user,hostfwd=tcp::2222-:65536", "--net 'user,hostfwd=tcp::2222-:65536'"
     ": hostfwd=tcp::2222-:65536: " + FWD),
    ("user,hostfwd=sctp::1-:2", "--net 'user,hostfwd=sctp::1-:2': "
     "hostfwd=sctp::1-:2: " + FWD),
    ("user,net=10.0.2.0/30", "--net 'user,net=10.0.2.0/30': net=10.0.2.0/30: "
     "give ADDR/PREFIX with PREFIX 8 to 28 and no host bits, e.g. "
     "net=10.0.2.0/24"),
])
def test_bad_user_spec_is_refused(spec, message):
    r = run_kvmscope("--kernel", TESTKERNEL, "--append", "hello", "--net",
                     spec)
    assert r.status == 2, r
    assert r.err.strip() == "kvmscope: " + message
    assert "Hello" not in r.out  # refused before the VM started


def test_hostfwd_port_in_use_is_refused():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        r = run_kvmscope("--kernel", TESTKERNEL, "--append", "hello", "--net",
                         "user,hostfwd=tcp:127.0.0.1:%d-:22" % port)
    finally:
        s.close()
    assert r.status == 2, r
    assert r.err.strip() == (
        "kvmscope: --net user: hostfwd tcp 127.0.0.1:%d: cannot listen: "
        "Address already in use (pick a free host port)" % port)
    assert "Hello" not in r.out


def test_user_net_boots_the_test_kernel_with_a_moved_network():
    # net= and a udp rule are accepted; the VM runs (no driver in it).
    port = free_port(socket.SOCK_DGRAM)
    r = run_kvmscope("--kernel", TESTKERNEL, "--append", "hello", "--net",
                     "user,net=192.168.76.0/24,hostfwd=udp:127.0.0.1:%d-:53"
                     % port)
    assert "hello: done" in r.out, r
