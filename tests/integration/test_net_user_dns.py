"""--net user's DNS relay and UDP hostfwd, with traffic, on the default
Linux guest. kvmscope runs in a network namespace the test creates, whose
/etc/resolv.conf (ip netns exec bind-mounts /etc/netns/NAME/resolv.conf)
names a DNS responder on the namespace's 127.0.0.1: the guest asks
slirp's 10.0.2.3 (busybox nslookup), slirp relays the query to that
responder, and the guest prints the address only the responder knows. A
UDP hostfwd rule carries datagrams (1, 1400 and 8000 bytes: the last one
fragmented on the guest's 1500-byte link both ways) from the namespace's
127.0.0.1:PORT to a static echo program in the guest (udp_echo.c, packed
into a second initramfs) and back byte-exact. Nothing leaves the
namespace.
"""
import base64
import os
import re
import signal
import subprocess
import uuid

import pytest

from conftest import ROOT, Running
from test_net_user import BOOT_TIMEOUT, DHCP_SCRIPT, built, field

GUEST_UDP_PORT = 5555
HOST_UDP_PORT = 6655
ANSWER = "192.0.2.77"  # TEST-NET-1: only the responder below knows it
NAME = "kvmscope.test"

# A DNS responder for one name: A queries for NAME get ANSWER, every
# other query an empty NOERROR reply; each question's name and type is
# logged to argv[1].
RESPONDER = r"""
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
log = open(sys.argv[1], "a", buffering=1)
print("READY", flush=True)
while True:
    q, peer = s.recvfrom(512)
    i, labels = 12, []
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode())
        i += 1 + q[i]
    qtype = struct.unpack("!H", q[i + 1:i + 3])[0]
    name = ".".join(labels)
    log.write("%s %d\n" % (name, qtype))
    question = q[12:i + 5]
    ans = b""
    if name == sys.argv[2] and qtype == 1:
        ans = (b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) +
               socket.inet_aton(sys.argv[3]))
    hdr = q[:2] + struct.pack("!HHHHH", 0x8180, 1, 1 if ans else 0, 0, 0)
    s.sendto(hdr + question + ans, peer)
"""

SENDER = r"""
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for size in (1, 1400, 8000):
    data = os.urandom(size)
    for attempt in range(30):
        s.sendto(data, ("127.0.0.1", int(sys.argv[1])))
        try:
            got = s.recv(65536)
        except socket.timeout:
            continue
        break
    else:
        got = b""
    print("ECHO %d %s" % (size, "exact" if got == data else
                          "got %d bytes" % len(got)), flush=True)
"""


def guest_command():
    return (
        "printf '%s' > /tmp/dhcp.sh; chmod +x /tmp/dhcp.sh; "
        "ip link set eth0 up; "
        "udhcpc -i eth0 -s /tmp/dhcp.sh -q -n -t 5 -T 2 >/dev/null 2>&1; "
        "echo DHCP $?; "
        "echo LOOKUP $(nslookup -type=a %s 10.0.2.3 2>&1 | tr '\\n' ' '); "
        "/udp_echo %d 3; echo UDPDONE $?; sleep 100000"
        % (DHCP_SCRIPT.replace("\n", "\\n"), NAME, GUEST_UDP_PORT))


def ns_popen(name, *cmd):
    return subprocess.Popen(["ip", "netns", "exec", name] + list(cmd),
                            stdout=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def dns(tmp_path_factory):
    vmlinux, initrd = built("build-kernel.sh"), built("build-initramfs.sh")
    tmp = tmp_path_factory.mktemp("netuserdns")
    echo = tmp / "udp_echo"
    subprocess.run(["gcc", "-static", "-O2", "-Wall", "-Werror", "-o",
                    str(echo), str(ROOT / "tests/integration/udp_echo.c")],
                   check=True)
    extra = tmp / "extra.cpio"
    subprocess.run([str(ROOT / "guests/linux/mkcpio.py"), str(extra)],
                   input="file /udp_echo %s 0755 0 0\n" % echo, text=True,
                   check=True)
    name = "ksd-" + uuid.uuid4().hex[:8]
    etc = "/etc/netns/" + name
    subprocess.run(["ip", "netns", "add", name], check=True)
    responder = g = None
    try:
        os.makedirs(etc)
        with open(etc + "/resolv.conf", "w") as f:
            f.write("nameserver 127.0.0.1\n")
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set",
                        "lo", "up"], check=True)
        queries = tmp / "queries"
        responder = ns_popen(name, "/usr/bin/python3", "-c", RESPONDER,
                             str(queries), NAME, ANSWER)
        assert responder.stdout.readline().strip() == "READY"
        run = base64.b64encode(guest_command().encode()).decode()
        g = Running("--kernel", vmlinux, "--initrd", initrd, "--initrd",
                    extra, "--mem", "256M", "--net",
                    "user,hostfwd=udp:127.0.0.1:%d-:%d"
                    % (HOST_UDP_PORT, GUEST_UDP_PORT),
                    "--append", "console=ttyS0 quiet kvmscope.run=" + run,
                    netns=name)
        assert g.wait_for("UDPLISTEN", timeout=BOOT_TIMEOUT), \
            g.finish(signal.SIGKILL)
        sender = ns_popen(name, "/usr/bin/python3", "-c", SENDER,
                          str(HOST_UDP_PORT))
        echoes = sender.communicate(timeout=120)[0]
        g.wait_for("UDPDONE", timeout=60)
        out = g.out.decode(errors="replace").replace("\r\n", "\n")
        yield {"out": out, "echoes": echoes,
               "queries": queries.read_text() if queries.exists() else ""}
    finally:
        if g is not None and g.p.poll() is None:
            g.finish(signal.SIGKILL)
        if responder is not None:
            responder.kill()
            responder.wait()
        subprocess.run(["ip", "netns", "del", name])
        if os.path.isdir(etc):
            os.remove(etc + "/resolv.conf")
            os.rmdir(etc)


def test_dns_query_is_relayed_to_the_hosts_resolver(dns):
    out = dns["out"]
    assert field(out, "DHCP") == "0", out[-3000:]
    lookup = field(out, "LOOKUP")
    # busybox: "Server: 10.0.2.3 Address: 10.0.2.3:53 Name: N Address: A"
    assert re.search(r"Name:\s+%s\s+Address:\s+%s\b"
                     % (re.escape(NAME), re.escape(ANSWER)), lookup), lookup
    # The answer came from the namespace's resolver, through slirp.
    assert "%s 1" % NAME in dns["queries"].splitlines(), dns["queries"]


def test_udp_hostfwd_echoes_byte_exact(dns):
    assert dns["echoes"].split("\n")[:3] == [
        "ECHO 1 exact", "ECHO 1400 exact", "ECHO 8000 exact"], dns["echoes"]
    assert field(dns["out"], "UDPDONE") == "0", dns["out"][-3000:]
