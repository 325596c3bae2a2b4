"""Count kvm tracepoints on a VMM's threads with perf_event_open (counting
mode: no records, the kernel adds up matching events, a filter per
counter). Root; tracefs is mounted at /sys/kernel/tracing when it is not."""
import ctypes
import fcntl
import os
import struct
import subprocess

import vbench

TRACEFS = "/sys/kernel/tracing"
PERF_TYPE_TRACEPOINT = 2
PERF_EVENT_IOC_SET_FILTER = 0x40082406
NR_PERF_EVENT_OPEN = 298  # x86_64
KVM_EXIT_IO, KVM_EXIT_MMIO = 2, 6
_libc = ctypes.CDLL(None, use_errno=True)
_why = None


def _event_id(name):
    with open(os.path.join(TRACEFS, "events/kvm", name, "id")) as f:
        return int(f.read())


def available():
    global _why
    if os.geteuid() != 0:
        _why = "needs root (perf_event_open on kvm tracepoints)"
        return False
    if not os.path.exists(os.path.join(TRACEFS, "events")):
        subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS],
                       stderr=subprocess.DEVNULL)
    try:
        for e in ("kvm_userspace_exit", "kvm_mmio"):
            _event_id(e)
    except OSError as e:
        _why = "no kvm tracepoints in %s (%s)" % (TRACEFS, e)
        return False
    return True


def why_not():
    return _why


def _open(tid, event_id, filt):
    attr = struct.pack("IIQQQQQIIQ", PERF_TYPE_TRACEPOINT, 64, event_id,
                       0, 0, 0, 0, 0, 0, 0)
    buf = ctypes.create_string_buffer(attr, len(attr))
    fd = _libc.syscall(NR_PERF_EVENT_OPEN, buf, tid, -1, -1, 0)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "perf_event_open(tid %d)" % tid)
    if filt:
        fcntl.ioctl(fd, PERF_EVENT_IOC_SET_FILTER, filt.encode() + b"\0")
    return fd


class VMCounter:
    """Counters on every thread the process has now (its vCPU threads are
    the ones that fire these events). bars: the disk's memory BARs."""

    def __init__(self, pid, bars):
        ue = _event_id("kvm_userspace_exit")
        mm = _event_id("kvm_mmio")
        self.specs = {
            "userspace": (ue, "errno == 0"),
            # KVM_RUN returning -EINTR (a signal to the vCPU thread)
            "userspace_intr": (ue, "errno != 0"),
            "userspace_mmio": (ue, "errno == 0 && reason == %d" %
                               KVM_EXIT_MMIO),
            "userspace_pio": (ue, "errno == 0 && reason == %d" %
                              KVM_EXIT_IO),
            # the console (COM1): its exits are the benchmark's own output
            "console_pio": (_event_id("kvm_pio"),
                            "port >= 0x3f8 && port <= 0x3ff"),
        }
        if bars:
            self.specs["bar_write"] = (mm, vbench.bar_filter(bars, 2))
            self.specs["bar_read_user"] = (mm, vbench.bar_filter(bars, 0))
            try:
                self.specs["bar_fast_mmio"] = (_event_id("kvm_fast_mmio"),
                                               vbench.gpa_filter(bars))
            except OSError:
                pass
        self.fds = {k: [] for k in self.specs}
        try:
            for tid in sorted(int(t) for t in
                              os.listdir("/proc/%d/task" % pid)):
                for k, (eid, filt) in self.specs.items():
                    self.fds[k].append(_open(tid, eid, filt))
        except Exception:
            self.close()
            raise

    def read(self):
        out = {}
        for k, fds in self.fds.items():
            out[k] = sum(struct.unpack("Q", os.read(fd, 8))[0]
                         for fd in fds)
        # a kick on the fast MMIO path is a kick too
        out["bar_write"] = out.get("bar_write", 0) + \
            out.pop("bar_fast_mmio", 0)
        out.setdefault("bar_read_user", 0)
        return out

    def close(self):
        for fds in self.fds.values():
            for fd in fds:
                os.close(fd)
        self.fds = {k: [] for k in self.specs}
