"""bench/virtio's pure parts: iobench lines, the guest's PCI resources,
medians, ratios and the table. No I/O here (bench/virtio/test_vbench.py
tests it; bench/virtio/run does the rest)."""
import re
import statistics

IOBENCH = re.compile(r"IOBENCH mode=(\S+) bs=(\d+) bytes=(\d+) ops=(\d+) "
                     r"ns=(\d+)")
IORESOURCE_MEM = 0x200
MIB = 1 << 20


def parse_iobench(text):
    """The last IOBENCH result line in text, as a dict (mode, bs, bytes,
    ops, ns, mib_s, iops), or None."""
    found = IOBENCH.findall(text)
    if not found:
        return None
    mode, bs, nbytes, ops, ns = found[-1]
    bs, nbytes, ops, ns = int(bs), int(nbytes), int(ops), int(ns)
    secs = ns / 1e9
    return {"mode": mode, "bs": bs, "bytes": nbytes, "ops": ops, "ns": ns,
            "mib_s": nbytes / MIB / secs if secs else float("nan"),
            "iops": ops / secs if secs else float("nan")}


def parse_resources(text):
    """Memory BARs from a PCI device's sysfs `resource` file ("start end
    flags" per line, hex): [(start, end_exclusive)]."""
    bars = []
    for line in text.splitlines():
        f = line.split()
        if len(f) != 3:
            continue
        try:
            start, end, flags = (int(x, 16) for x in f)
        except ValueError:
            continue
        if start and end > start and flags & IORESOURCE_MEM:
            bars.append((start, end + 1))
    return bars


def gpa_filter(bars):
    """A tracefs filter for records whose gpa is inside one of the BARs
    (at least one)."""
    return " || ".join("(gpa >= 0x%x && gpa < 0x%x)" % b for b in bars)


def bar_filter(bars, mmio_type):
    """A tracefs filter for kvm:kvm_mmio records of one type (0
    unsatisfied-read, 1 read, 2 write) inside one of the BARs."""
    return "type == %d && (%s)" % (mmio_type, gpa_filter(bars))


def requests(block_list):
    """Requests a disk completed, from query-block (kvmscope) or
    query-blockstats (QEMU) of one disk: reads + writes + flushes."""
    s = block_list["stats"]
    return (s.get("rd_operations", 0) + s.get("wr_operations", 0) +
            s.get("flush_operations", 0))


def count(counts, key):
    """One counter of a step; non_pio is userspace exits less PIO ones."""
    if key == "non_pio":
        return counts.get("userspace", 0) - counts.get("userspace_pio", 0)
    return counts.get(key, 0)


def delta(after, before):
    return {k: after[k] - before.get(k, 0) for k in after}


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


def fmt(x, spec="%.1f", width=10):
    s = "-" if x is None else spec % x
    return s.rjust(width)


def table(rows, columns):
    """rows: [(label, {column: value or None}, spec)]; columns: names.
    Returns the lines of a fixed-width table."""
    label_w = max([len(r[0]) for r in rows] + [7])
    widths = [max(len(c), 10) for c in columns]
    out = ["%-*s %s" % (label_w, "pattern",
                        " ".join(c.rjust(w) for c, w in zip(columns,
                                                              widths)))]
    for label, values, spec in rows:
        out.append("%-*s %s" % (label_w, label, " ".join(
            fmt(values.get(c), "%.2f" if "/" in c
                else spec, w) for c, w in zip(columns, widths))))
    return out
