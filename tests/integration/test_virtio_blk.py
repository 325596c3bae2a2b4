"""virtio-blk on the default Linux guest: the disk's size and serial as
the guest sees them, data both ways, a read-only disk the guest cannot
change, FLUSH reaching fdatasync, nothing lost when kvmscope is
SIGKILLed (after a sync, and in the middle of a stream of flushed
writes), and every bad --disk refused before the VM starts.

One guest boots for the module. Its shell does the first part, says
DONE, waits for a line on its console, then writes numbered blocks, each
flushed (conv=fsync) before it prints the number; the last test kills
kvmscope in the middle of that stream.
"""
import base64
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import KVMSCOPE, QMP, ROOT, TESTKERNEL, Running, \
    run_kvmscope, wait_for_socket

BOOT_TIMEOUT = 300
MIB = 1 << 20
HOST_PATTERN = b"HOST-WROTE-THIS!" * 32  # 512 bytes at sector 2048
GUEST_COMMAND = r"""
echo SIZE $(cat /sys/block/vda/size) $(cat /sys/block/vdb/size)
echo SERIAL $(cat /sys/block/vda/serial)
echo RO $(cat /sys/block/vdb/ro)
echo HOSTREAD $(dd if=/dev/vda bs=512 skip=2048 count=1 2>/dev/null | head -c 16)
echo GUEST-WROTE-THAT > /tmp/p
dd if=/tmp/p of=/dev/vda bs=512 seek=4096 conv=sync,fsync 2>/dev/null
sync
echo RORESULT $(dd if=/tmp/p of=/dev/vdb bs=512 seek=8 conv=sync,fsync 2>&1 >/dev/null | tr -d '\n')
d=$(basename $(readlink /sys/block/vdb/device))
echo $d > /sys/bus/virtio/drivers/virtio_blk/unbind
echo UNBOUND $(ls /sys/block | grep -c vdb)
echo $d > /sys/bus/virtio/drivers/virtio_blk/bind
echo REBOUND $(dd if=/dev/vdb bs=8 count=1 2>/dev/null)
echo DONE
read go
i=1
while [ $i -le 100000 ]; do
  echo BLOCK-$i > /tmp/b
  dd if=/tmp/b of=/dev/vda bs=512 seek=$((8192 + i)) conv=sync,fsync 2>/dev/null
  echo W$i
  i=$((i + 1))
done
"""


def built(script):
    out = subprocess.run([str(ROOT / "guests/linux" / script)], check=True,
                         capture_output=True, text=True, timeout=3600)
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module", params=["io_uring", "threads"])
def guest(tmp_path_factory, request):
    """Every test below runs on both of virtio-blk's I/O paths."""
    aio = request.param
    vmlinux, initrd = built("build-kernel.sh"), built("build-initramfs.sh")
    tmp = tmp_path_factory.mktemp("blk")
    rw, ro = tmp / "rw.img", tmp / "ro.img"
    with open(rw, "wb") as f:
        f.truncate(64 * MIB)
        f.seek(2048 * 512)
        f.write(HOST_PATTERN)
    with open(ro, "wb") as f:
        f.truncate(8 * MIB)
        f.write(b"RO-IMAGE" * 64)
    os.utime(ro, (1_000_000_000, 1_000_000_000))
    ro_before = ro.read_bytes()
    sock = tmp / "vm.sock"
    run = base64.b64encode(GUEST_COMMAND.encode()).decode()
    g = Running("--kernel", vmlinux, "--initrd", initrd, "--mem", "256M",
                "--disk", "%s,serial=KVMSCOPE-D1,aio=%s" % (rw, aio),
                "--disk", "%s,readonly,aio=%s" % (ro, aio),
                "--append", "console=ttyS0 quiet kvmscope.run=" + run,
                "--api-sock", sock, stdin=subprocess.PIPE)
    try:
        assert wait_for_socket(sock), g.finish(signal.SIGKILL)
        assert g.wait_for_re(r"DONE\r?\n", timeout=BOOT_TIMEOUT), \
            g.finish(signal.SIGKILL)
        out = g.out.decode(errors="replace").replace("\r\n", "\n")
        q = QMP(sock)
        yield {"g": g, "q": q, "out": out, "rw": rw, "ro": ro, "aio": aio,
               "ro_before": ro_before, "tmp": tmp}
        q.close()
    finally:
        if g.p.poll() is None:
            g.finish(signal.SIGKILL)


def field(out, name):
    m = re.search(r"^%s (.*)$" % name, out, re.M)
    assert m, out[-3000:]
    return m.group(1)


def test_size_serial_and_host_data(guest):
    assert field(guest["out"], "SIZE") == "%d %d" % (64 * MIB // 512,
                                                      8 * MIB // 512)
    assert field(guest["out"], "SERIAL") == "KVMSCOPE-D1"
    assert field(guest["out"], "HOSTREAD") == HOST_PATTERN[:16].decode()


def test_guest_writes_reach_the_file(guest):
    with open(guest["rw"], "rb") as f:
        f.seek(4096 * 512)
        assert f.read(17) == b"GUEST-WROTE-THAT\n"


def test_read_only_disk_is_untouched(guest):
    assert field(guest["out"], "RO") == "1"
    # VIRTIO_BLK_F_RO: the kernel itself refuses writes to the disk
    # (EPERM); the device would fail any that came with IOERR.
    result = field(guest["out"], "RORESULT")
    assert "error writing '/dev/vdb': Operation not permitted" in result, \
        result
    assert guest["ro"].read_bytes() == guest["ro_before"]
    assert guest["ro"].stat().st_mtime == 1_000_000_000


def test_unbind_and_bind_reinitialise_the_disk(guest):
    # the driver resets the device and sets it up again: vdb goes away,
    # comes back, and reads the image
    assert field(guest["out"], "UNBOUND") == "0"
    assert field(guest["out"], "REBOUND") == "RO-IMAGE"


def test_query_block_and_flush_counted(guest):
    disks = guest["q"].ok("query-block")
    assert [d["device"] for d in disks] == ["virtio0", "virtio1"]
    d0, d1 = disks
    assert d0["inserted"]["file"] == str(guest["rw"])
    assert d0["inserted"]["ro"] is False and d1["inserted"]["ro"] is True
    assert d0["inserted"]["serial"] == "KVMSCOPE-D1"
    assert d0["inserted"]["image"]["virtual-size"] == 64 * MIB
    assert d0["inserted"]["cache"] == {"writeback": True, "direct": False}
    assert d0["inserted"]["aio"] == d1["inserted"]["aio"] == guest["aio"]
    s = d0["stats"]
    assert s["wr_operations"] >= 1 and s["rd_operations"] >= 1, s
    # the guest's fsync sent FLUSH (VIRTIO_BLK_F_FLUSH): fdatasync ran
    assert s["flush_operations"] >= 1, s
    assert d1["stats"]["wr_operations"] == 0, d1
    p = subprocess.run([str(KVMSCOPE), "ctl", str(guest["tmp"] / "vm.sock"),
                        "query-block"], capture_output=True, text=True,
                       timeout=60)
    assert p.stdout.startswith(
        "virtio0: %s (raw, %d bytes, cache=writeback, aio=%s, serial "
        "KVMSCOPE-D1)\n" % (guest["rw"], 64 * MIB, guest["aio"])), p.stdout


def test_a_locked_disk_is_refused(guest):
    # the running VM holds the image's lock: a second VMM may not use it
    r = run_kvmscope("--kernel", TESTKERNEL, "--append", "hello", "--disk",
                     str(guest["rw"]))
    assert r.status == 2, r
    assert r.err.strip() == (
        "kvmscope: --disk %s is in use by another process that holds a "
        "lock on it (another kvmscope or QEMU?): stop it, or give another "
        "image" % guest["rw"]), r.err


def test_sigkill_mid_stream_loses_no_flushed_write(guest):
    """Last: the guest writes numbered blocks, each flushed before its
    number is printed; SIGKILL kvmscope mid-stream; every printed block
    is on disk (and the synced write from before)."""
    g = guest["g"]
    g.p.stdin.write(b"go\n")
    g.p.stdin.flush()
    m = g.wait_for_re(r"\nW(1[0-9])\r?\n", timeout=300)
    assert m, g.out[-2000:]
    g.p.send_signal(signal.SIGKILL)
    g.p.wait(timeout=30)
    out = g.out.decode(errors="replace")
    done = [int(n) for n in re.findall(r"^W(\d+)\r?$", out, re.M)]
    assert done and done == list(range(1, len(done) + 1)), done
    with open(guest["rw"], "rb") as f:
        for i in done:
            f.seek((8192 + i) * 512)
            assert f.read(16).split(b"\n")[0] == b"BLOCK-%d" % i, i
        f.seek(4096 * 512)
        assert f.read(17) == b"GUEST-WROTE-THAT\n"


@pytest.mark.parametrize("make,spec,message", [
    (None, "{tmp}/missing.img",
     "--disk {tmp}/missing.img: No such file or directory"),
    ("dir", "{tmp}/d", "--disk {tmp}/d is a directory: give a raw disk "
     "image file or a block device"),
    ("100", "{tmp}/small.img", "--disk {tmp}/small.img is too small (100 "
     "bytes): a disk needs at least one 512-byte sector"),
    ("1000", "{tmp}/odd.img", "--disk {tmp}/odd.img: its size, 1000 bytes, "
     "is not a whole number of 512-byte sectors (truncate -s to resize "
     "it)"),
    ("4096", "{tmp}/x.img,fast", "--disk {tmp}/x.img: unknown option "
     "'fast': use readonly, cache=writeback|none, aio=io_uring|threads or serial=ID"),
    ("4096", "{tmp}/x.img,serial=" + "s" * 21, "--disk {tmp}/x.img: serial "
     "is at most 20 characters"),
])
def test_bad_disk_is_refused_before_the_vm_starts(tmp_path, make, spec,
                                                  message):
    spec = spec.format(tmp=tmp_path)
    path = spec.split(",")[0]
    if make == "dir":
        os.mkdir(path)
    elif make:
        with open(path, "wb") as f:
            f.truncate(int(make))
    before = os.stat(path).st_mtime_ns if make and make != "dir" else None
    r = run_kvmscope("--kernel", TESTKERNEL, "--append", "hello", "--disk",
                     spec)
    assert r.status == 2, r
    assert r.err.strip() == "kvmscope: " + message.format(tmp=tmp_path)
    assert "Hello" not in r.out  # the VM never ran
    if before is not None:
        assert os.stat(path).st_mtime_ns == before


def test_cache_none_opens_with_o_direct(tmp_path):
    img, sock = tmp_path / "direct.img", tmp_path / "vm.sock"
    with open(img, "wb") as f:
        f.truncate(MIB)
    g = Running("--kernel", TESTKERNEL, "--append", "spin", "--disk",
                "%s,cache=none" % img, "--api-sock", sock)
    try:
        assert wait_for_socket(sock), g.finish(signal.SIGKILL)
        fds = [fd for fd in os.listdir("/proc/%d/fd" % g.p.pid)
               if os.readlink("/proc/%d/fd/%s" % (g.p.pid, fd)) == str(img)]
        assert len(fds) == 1, fds
        info = open("/proc/%d/fdinfo/%s" % (g.p.pid, fds[0])).read()
        flags = int(re.search(r"^flags:\s+(\d+)$", info, re.M).group(1), 8)
        assert flags & os.O_DIRECT and flags & os.O_RDWR, oct(flags)
        q = QMP(sock)
        d = q.ok("query-block")[0]
        assert d["inserted"]["cache"] == {"writeback": False,
                                          "direct": True}
        q.close()
    finally:
        g.finish(signal.SIGKILL)


# A second guest: an ext4 image from build-rootfs.sh (vda), a raw disk to
# discard on (vdb) and a cache=none disk written with O_DIRECT + fsync
# (vdc); kvmscope is SIGKILLed once the guest says SYNCED.
EXT4_COMMAND = r"""
mkdir -p /mnt && mount -t ext4 /dev/vda /mnt && echo MOUNTED
echo README $(head -n 1 /mnt/README)
echo written-in-the-guest > /mnt/guest.txt
sync
blkdiscard -o 1048576 -l 1048576 /dev/vdb && echo DISCARDED
echo DIRECT-WRITE > /tmp/d
dd if=/tmp/d of=/dev/vdc bs=4096 count=1 conv=sync,fsync oflag=direct 2>/dev/null
echo DIRECT $?
echo SYNCED
read go
"""
FILL = b"\xab" * MIB


@pytest.fixture(scope="module")
def ext4_guest(tmp_path_factory):
    vmlinux, initrd = built("build-kernel.sh"), built("build-initramfs.sh")
    rootfs = built("build-rootfs.sh")
    tmp = tmp_path_factory.mktemp("ext4")  # on ext4: O_DIRECT works
    disk, raw, direct = tmp / "rootfs.ext4", tmp / "raw.img", tmp / "d.img"
    disk.write_bytes(open(rootfs, "rb").read())
    raw.write_bytes(FILL * 8)  # allocated, no holes
    with open(direct, "wb") as f:
        f.truncate(MIB)
    run = base64.b64encode(EXT4_COMMAND.encode()).decode()
    sock = tmp / "vm.sock"
    g = Running("--kernel", vmlinux, "--initrd", initrd, "--mem", "256M",
                "--disk", str(disk), "--disk", str(raw),
                "--disk", "%s,cache=none" % direct,
                "--append", "console=ttyS0 quiet kvmscope.run=" + run,
                "--api-sock", sock, stdin=subprocess.PIPE)
    try:
        assert g.wait_for_re(r"SYNCED\r?\n", timeout=BOOT_TIMEOUT), \
            g.finish(signal.SIGKILL)
        q = QMP(sock)
        stats = [d["stats"] for d in q.ok("query-block")]
        q.close()
        out = g.out.decode(errors="replace").replace("\r\n", "\n")
        # no clean shutdown: what the guest synced must already be there
        g.p.send_signal(signal.SIGKILL)
        g.p.wait(timeout=30)
        yield {"out": out, "disk": disk, "raw": raw, "direct": direct,
               "stats": stats, "tmp": tmp}
    finally:
        if g.p.poll() is None:
            g.finish(signal.SIGKILL)


def test_ext4_image_mounts_and_a_synced_file_survives_sigkill(ext4_guest):
    out = ext4_guest["out"]
    assert "MOUNTED" in out, out[-3000:]
    assert field(out, "README") == \
        "kvmscope's demo disk: an ext4 file system built by"
    # a copy: e2fsck replays the journal the guest never checkpointed
    img = ext4_guest["tmp"] / "check.ext4"
    img.write_bytes(ext4_guest["disk"].read_bytes())
    fsck = subprocess.run(["/usr/sbin/e2fsck", "-fy", str(img)],
                          capture_output=True, text=True, timeout=120)
    assert fsck.returncode in (0, 1), fsck.stdout + fsck.stderr
    cat = subprocess.run(["/usr/sbin/debugfs", "-R", "cat /guest.txt",
                          str(img)], capture_output=True, text=True,
                         timeout=60)
    assert cat.stdout == "written-in-the-guest\n", cat


def test_discard_punches_a_hole(ext4_guest):
    assert "DISCARDED" in ext4_guest["out"], ext4_guest["out"][-3000:]
    assert ext4_guest["stats"][1]["unmap_operations"] >= 1, \
        ext4_guest["stats"]
    data = ext4_guest["raw"].read_bytes()
    assert data[:MIB] == FILL and data[2 * MIB:] == FILL * 6
    assert data[MIB:2 * MIB] == bytes(MIB)
    fd = os.open(ext4_guest["raw"], os.O_RDONLY)
    try:
        # FALLOC_FL_PUNCH_HOLE: the range is a hole, not written zeros
        assert os.lseek(fd, MIB, os.SEEK_HOLE) == MIB
        assert os.lseek(fd, MIB, os.SEEK_DATA) == 2 * MIB
    finally:
        os.close(fd)


def test_o_direct_fsync_write_survives_sigkill(ext4_guest):
    assert field(ext4_guest["out"], "DIRECT") == "0", \
        ext4_guest["out"][-3000:]
    assert ext4_guest["stats"][2]["flush_operations"] >= 1, \
        ext4_guest["stats"]
    with open(ext4_guest["direct"], "rb") as f:
        assert f.read(4096) == b"DIRECT-WRITE\n" + bytes(4096 - 13)


def test_cache_none_on_a_file_system_without_o_direct(tmp_path):
    # procfs refuses O_DIRECT (tmpfs has taken it since Linux 6.6)
    r = run_kvmscope("--kernel", TESTKERNEL, "--append", "hello", "--disk",
                     "/proc/self/comm,cache=none")
    assert r.status == 2, r
    assert r.err.strip() == (
        "kvmscope: --disk /proc/self/comm,cache=none: this file system "
        "does not support O_DIRECT (tmpfs?): use cache=writeback or put "
        "the image elsewhere"), r.err
