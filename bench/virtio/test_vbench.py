#!/usr/bin/env python3
"""Unit test of bench/virtio's parsing and ratio code (vbench.py): the
iobench line, the guest's PCI resource file, tracefs filters, request
counters, medians, ratios and the table. No VM, no root."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vbench  # noqa: E402


class TestVbench(unittest.TestCase):
    def test_iobench_line_last_one_wins(self):
        text = ("noise\r\nIOBENCH mode=seq-read bs=1 bytes=1 ops=1 ns=1\r\n"
                "IOBENCH mode=rand-read bs=4096 bytes=8192000 ops=2000 "
                "ns=2000000000\r\nVB-END rand-read 0\r\n")
        r = vbench.parse_iobench(text)
        self.assertEqual(r["mode"], "rand-read")
        self.assertEqual((r["bs"], r["bytes"], r["ops"], r["ns"]),
                         (4096, 8192000, 2000, 2000000000))
        self.assertAlmostEqual(r["iops"], 1000.0)
        self.assertAlmostEqual(r["mib_s"], 8192000 / 2 / (1 << 20))

    def test_iobench_line_missing_or_zero_time(self):
        self.assertIsNone(vbench.parse_iobench("IOBENCH listening port=1"))
        r = vbench.parse_iobench("IOBENCH mode=tcp-sink bs=1 bytes=0 ops=0 "
                                 "ns=0")
        self.assertNotEqual(r["mib_s"], r["mib_s"])  # nan

    def test_resources_keep_memory_bars_only(self):
        text = ("0x0000000000001000 0x000000000000103f 0x0000000000040101\n"
                "0x00000000fe000000 0x00000000fe003fff 0x0000000000140204\n"
                "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
                "0x0000008000000000 0x0000008000003fff 0x000000000014220c\n"
                "garbage line\n")
        self.assertEqual(vbench.parse_resources(text),
                         [(0xfe000000, 0xfe004000),
                          (0x8000000000, 0x8000004000)])

    def test_filters(self):
        bars = [(0x1000, 0x2000), (0x8000, 0x9000)]
        self.assertEqual(vbench.bar_filter(bars, 2),
                         "type == 2 && ((gpa >= 0x1000 && gpa < 0x2000) || "
                         "(gpa >= 0x8000 && gpa < 0x9000))")

    def test_requests_and_delta(self):
        entry = {"stats": {"rd_operations": 5, "wr_operations": 7,
                           "flush_operations": 1, "rd_bytes": 99}}
        self.assertEqual(vbench.requests(entry), 13)
        counts = {"userspace": 40, "userspace_pio": 36}
        self.assertEqual(vbench.count(counts, "non_pio"), 4)
        self.assertEqual(vbench.count(counts, "bar_write"), 0)
        self.assertEqual(vbench.delta({"a": 5, "b": 3}, {"a": 2}),
                         {"a": 3, "b": 3})

    def test_median_and_ratio(self):
        self.assertEqual(vbench.med([3, None, 1, 2]), 2)
        self.assertIsNone(vbench.med([None]))
        self.assertEqual(vbench.ratio(3.0, 2.0), 1.5)
        self.assertIsNone(vbench.ratio(3.0, 0))
        self.assertIsNone(vbench.ratio(None, 2.0))

    def test_table(self):
        lines = vbench.table([("seq-read MiB/s", {"host": 100.0,
                                                  "kvmscope": 50.0,
                                                  "kvmscope/host": 0.5},
                               "%.1f")],
                             ["host", "kvmscope", "qemu", "kvmscope/host"])
        self.assertEqual(lines[0].split(), ["pattern", "host", "kvmscope",
                                            "qemu", "kvmscope/host"])
        self.assertEqual(lines[1].split(), ["seq-read", "MiB/s", "100.0",
                                            "50.0", "-", "0.50"])


if __name__ == "__main__":
    unittest.main()
