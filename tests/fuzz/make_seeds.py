#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the seed corpora for the loader fuzzers into tests/fuzz/seeds/.

Each seed is a small but valid (or nearly valid) image, so the fuzzers start
from inputs that reach deep into the loaders instead of spending their time
rediscovering magic numbers. Run it again after changing it; the output is
deterministic.
"""

import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = os.path.join(HERE, "seeds")

MB_MAGIC = 0x1BADB002


def pattern(n, seed):
    return bytes((i * 13 + seed * 71 + 1) & 0xFF for i in range(n))


def bzimage(version=0x020F, setup_sects=1, payload=512, init_size=0x10000,
            xloadflags=0x3, cmdline_size=2047, initrd_addr_max=0x7FFFFFFF):
    sects = setup_sects or 4
    img = bytearray((sects + 1) * 512) + pattern(payload, 0)
    img[0x1F1] = setup_sects
    struct.pack_into("<H", img, 0x1FA, 0xFFFF)
    struct.pack_into("<H", img, 0x1FE, 0xAA55)
    img[0x200] = 0xEB
    img[0x201] = 0x268 - 0x202
    img[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", img, 0x206, version)
    img[0x211] = 0x01
    struct.pack_into("<I", img, 0x22C, initrd_addr_max)
    struct.pack_into("<H", img, 0x236, xloadflags)
    struct.pack_into("<I", img, 0x238, cmdline_size)
    struct.pack_into("<I", img, 0x260, init_size)
    return bytes(img)


def mb_header(flags, addr_fields=None):
    hdr = struct.pack("<III", MB_MAGIC, flags, (-(MB_MAGIC + flags)) & 0xFFFFFFFF)
    if addr_fields:
        hdr += struct.pack("<5I", *addr_fields)
    return hdr


def elf(is64, machine, entry, segs, pvh_entry=None, pvh_descsz=8,
        mb_flags=None):
    """segs: list of (paddr, vaddr, filesz, memsz)."""
    ehsize, phent = (64, 56) if is64 else (52, 32)
    nph = len(segs) + (1 if pvh_entry is not None else 0)
    off = ehsize + nph * phent
    mb_off = None
    if mb_flags is not None:
        mb_off = (off + 3) & ~3
        off = mb_off + 12
    notes = b""
    note_off = None
    if pvh_entry is not None:
        note_off = (off + 3) & ~3
        desc = struct.pack("<Q" if pvh_descsz == 8 else "<I", pvh_entry)
        notes = struct.pack("<III", 4, 8, 3) + b"GNU\0" + bytes(range(1, 9))
        notes += struct.pack("<III", 4, len(desc), 18) + b"Xen\0" + desc
        off = note_off + len(notes)
    seg_offs = []
    for (_, _, filesz, _) in segs:
        off = (off + 15) & ~15
        seg_offs.append(off)
        off += filesz

    img = bytearray(off)
    ident = b"\x7fELF" + bytes([2 if is64 else 1, 1, 1]) + bytes(9)
    img[0:16] = ident
    if is64:
        struct.pack_into("<HHIQQQIHHHHHH", img, 16, 2, machine, 1, entry,
                         ehsize, 0, 0, ehsize, phent, nph, 0, 0, 0)
    else:
        struct.pack_into("<HHIIIIIHHHHHH", img, 16, 2, machine, 1, entry,
                         ehsize, 0, 0, ehsize, phent, nph, 0, 0, 0)
    phdrs = [(1, seg_offs[i], s[1], s[0], s[2], s[3], 16)
             for i, s in enumerate(segs)]
    if pvh_entry is not None:
        phdrs.append((4, note_off, 0, 0, len(notes), len(notes), 4))
    for i, (ptype, poff, vaddr, paddr, filesz, memsz, align) in enumerate(phdrs):
        at = ehsize + i * phent
        if is64:
            struct.pack_into("<IIQQQQQQ", img, at, ptype, 5, poff, vaddr,
                             paddr, filesz, memsz, align)
        else:
            struct.pack_into("<IIIIIIII", img, at, ptype, poff, vaddr, paddr,
                             filesz, memsz, 5, align)
    for i, s in enumerate(segs):
        img[seg_offs[i]:seg_offs[i] + s[2]] = pattern(s[2], i)
    if mb_off is not None:
        img[mb_off:mb_off + 12] = mb_header(mb_flags)
    if note_off is not None:
        img[note_off:note_off + len(notes)] = notes
    return bytes(img)


def mb_aout(size=0x600, hoff=0x40, flags=0x00010003, load=0x200000,
            load_end=0x200600, bss_end=0x201000, entry=0x200100):
    img = bytearray(pattern(size, 0))
    hdr = mb_header(flags, (load + hoff, load, load_end, bss_end, entry))
    img[hoff:hoff + len(hdr)] = hdr
    return bytes(img)


def corpus():
    bz = {
        "bz_2_15": bzimage(),
        "bz_2_12_sects0": bzimage(version=0x020C, setup_sects=0, payload=256),
        "bz_2_10_old": bzimage(version=0x020A),
        "bz_low_initrd_max": bzimage(initrd_addr_max=0x3FFFFF, payload=64),
    }
    pvh = {
        "pvh64_desc8": elf(True, 62, 0xFFFFFFFF81000000,
                           [(0x1000000, 0xFFFFFFFF81000000, 0x200, 0x200),
                            (0x1001000, 0xFFFFFFFF81001000, 0x80, 0x2000)],
                           pvh_entry=0x1000010),
        "pvh32_desc4": elf(False, 3, 0x1000000,
                           [(0x1000000, 0x1000000, 0x100, 0x1000)],
                           pvh_entry=0x1000000, pvh_descsz=4),
        "pvh32_0x8000": elf(False, 3, 0x8000,
                            [(0x8000, 0x8000, 0x100, 0x3000)],
                            pvh_entry=0x8000, pvh_descsz=4),
    }
    mb = {
        "mb_elf32": elf(False, 3, 0xC0100010,
                        [(0x100000, 0xC0100000, 0x200, 0x200),
                         (0x101000, 0xC0101000, 0x80, 0x1000)],
                        mb_flags=0x3),
        "mb_elf64": elf(True, 62, 0x100000,
                        [(0x100000, 0x100000, 0x100, 0x800)], mb_flags=0x7),
        "mb_aout": mb_aout(),
        "mb_aout_to_eof": mb_aout(load_end=0, bss_end=0, flags=0x00010001),
        "mb_aout_low": mb_aout(load=0x30000, load_end=0x30600,
                               bss_end=0x31000, entry=0x30000),
        # Linked where the boot data used to go: it must move instead.
        "mb_aout_0x8000": mb_aout(load=0x8000, load_end=0x8600,
                                  bss_end=0xA86C, entry=0x8100),
        "mb_elf32_0x1000": elf(False, 3, 0x1010,
                               [(0x1000, 0x1000, 0x200, 0x200),
                                (0x2000, 0x2000, 0x80, 0x6000)],
                               mb_flags=0x3),
    }
    detect = {
        "text": b"#!/bin/sh\necho not a kernel\n",
        "multiboot2": bytes(16) + struct.pack("<I", 0xE85250D6) + bytes(44),
        "mb_bad_checksum": bytes(8) + struct.pack("<III", MB_MAGIC, 3, 0),
        "elf_no_note": elf(True, 62, 0x100000,
                           [(0x100000, 0x100000, 0x40, 0x40)]),
    }
    detect.update({"bz_2_15": bz["bz_2_15"], "pvh64_desc8": pvh["pvh64_desc8"],
                   "mb_elf32": mb["mb_elf32"], "mb_aout": mb["mb_aout"]})
    return {"bzimage": bz, "pvh": pvh, "multiboot": mb, "boot_detect": detect,
            "kvm_stats": kvm_stats()}


def kvm_stats_file(descs, name_size=48, id_str=b"kvm-1234/vcpu-0"):
    """A KVM_GET_STATS_FD file: header, id, descriptors, data.

    descs: (name, flags, exponent, size, bucket_size); values are laid out
    one after the other."""
    id_off = 24
    desc_off = id_off + name_size
    stride = 16 + name_size
    data_off = desc_off + len(descs) * stride
    out = bytearray(struct.pack("<6I", 0, name_size, len(descs), id_off,
                                desc_off, data_off))
    out += id_str.ljust(name_size, b"\0")
    offset, data = 0, bytearray()
    for name, flags, exp, size, bucket in descs:
        out += struct.pack("<IhHII", flags, exp, size, offset, bucket)
        out += name.ljust(name_size, b"\0")
        data += b"".join(struct.pack("<Q", (i * 7 + 1) & 0xFFFF)
                         for i in range(size))
        offset += size * 8
    return bytes(out + data)


def kvm_stats():
    cumulative, instant, peak, lin, log = 0, 1, 2, 3, 4
    seconds, boolean, pow2 = 0x20, 0x40, 0x100
    return {
        "three": kvm_stats_file([(b"exits", cumulative, 0, 1, 0),
                                 (b"halt_wait_hist", log | seconds, -9, 32, 0),
                                 (b"guest_mode", instant | boolean, 0, 1, 0)]),
        "linear": kvm_stats_file([(b"lin_hist", lin, 0, 16, 64),
                                  (b"max_mmu", peak | pow2, 3, 1, 0)],
                                 name_size=32),
        "unknown_type": kvm_stats_file([(b"future", 0xF, 0, 1, 0),
                                        (b"exits", cumulative, 0, 1, 0)]),
        "empty": kvm_stats_file([]),
    }


def main():
    for target, seeds in corpus().items():
        d = os.path.join(SEEDS, target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            assert len(data) < 64 * 1024, name
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
