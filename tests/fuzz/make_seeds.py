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
            "kvm_stats": kvm_stats(), "kallsyms": kallsyms(),
            "vmcoreinfo": vmcoreinfo(), "orc": orc()}


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


def kallsyms_tables(syms, percpu=True, multi=(b"start_", b"kernel", b"init")):
    """fuzz_kallsyms input: 8 u32 table offsets, then the tables as
    scripts/kallsyms.c lays them out (base-relative offsets, greedy
    token compression with single-character tokens plus a few longer)."""
    tokens = [bytes([i]) if i else b"" for i in range(256)]
    for i, t in enumerate(multi):
        tokens[0x80 + i] = t
    base = next(a for a, _, _ in syms if not (percpu and a < 0x100000))
    blob = bytearray()

    def align(n):
        blob.extend(bytes(-len(blob) % n))

    offsets = len(blob)
    for a, _, _ in syms:
        if not percpu:
            o = a - base
        elif a < 0x100000:
            o = a
        else:
            o = (base - a - 1) & 0xFFFFFFFF
        blob.extend(struct.pack("<I", o & 0xFFFFFFFF))
    align(8)
    rbase = len(blob)
    blob.extend(struct.pack("<Q", base))
    num = len(blob)
    blob.extend(struct.pack("<I", len(syms)))
    align(8)
    names = len(blob)
    marks, off = [], 0
    for i, (_, typ, name) in enumerate(syms):
        if i % 256 == 0:
            marks.append(off)
        full, comp = typ + name, []
        while full:
            best = next((0x80 + j for j, t in enumerate(multi)
                         if full.startswith(t)), full[0])
            comp.append(best)
            full = full[len(tokens[best]):]
        hdr = bytes([len(comp)]) if len(comp) < 0x80 else \
            bytes([(len(comp) & 0x7F) | 0x80, len(comp) >> 7])
        blob.extend(hdr + bytes(comp))
        off += len(hdr) + len(comp)
    align(8)
    markers = len(blob)
    blob.extend(b"".join(struct.pack("<I", m) for m in marks))
    align(8)
    table = len(blob)
    index = []
    for t in tokens:
        index.append(len(blob) - table)
        blob.extend(t + b"\0")
    align(8)
    tindex = len(blob)
    blob.extend(struct.pack("<256H", *index))
    hdr = struct.pack("<8I", names, num, table, tindex, offsets, rbase,
                      0xFFFFFFFF, markers)
    return hdr + bytes(blob)


def kallsyms():
    k = 0xFFFFFFFF81000000
    syms = [(0, b"A", b"fixed_percpu_data"), (0x1000, b"A", b"cpu_number"),
            (k, b"T", b"_text"), (k, b"T", b"startup_64"),
            (k + 0x60, b"T", b"secondary_startup_64"),
            (k + 0xEDFB80, b"T", b"start_kernel"),
            (k + 0xEE0000, b"D", b"init_task"),
            (k + 0xF7A000, b"?", b"__nosave_begin"),
            (k + 0x1000000, b"B", b"_end")]
    many = [(k + i * 16, b"t", b"sym_%d" % i) for i in range(300)]
    many[7] = (k + 7 * 16, b"t", b"x" * 200)
    return {"small": kallsyms_tables(syms),
            "relative": kallsyms_tables(syms[2:], percpu=False),
            "markers": kallsyms_tables(many)}


def vmcoreinfo():
    bid = "0123456789abcdef0123456789abcdef01234567"
    head = ("OSRELEASE=6.1.192\nBUILD-ID=%s\nPAGESIZE=4096\n" % bid)
    full = head + (
        "SYMBOL(init_uts_ns)=ffffffff81e00000\n"
        "OFFSET(uts_namespace.name)=4\n"
        "SYMBOL(swapper_pg_dir)=ffffffff80001000\n"
        "NUMBER(phys_base)=0\nNUMBER(pgtable_l5_enabled)=0\n"
        "KERNELOFFSET=0\n"
        "SYMBOL(kallsyms_names)=ffffffff80001200\n"
        "SYMBOL(kallsyms_num_syms)=ffffffff80001100\n"
        "SYMBOL(kallsyms_token_table)=ffffffff80001300\n"
        "SYMBOL(kallsyms_token_index)=ffffffff80001400\n"
        "SYMBOL(kallsyms_offsets)=ffffffff80001500\n"
        "SYMBOL(kallsyms_relative_base)=ffffffff80001600\n")
    return {"minimal": head.encode(), "full": full.encode(),
            "banner": b"Linux version 6.1.0 (u@h) (gcc (Debian 12.2.0) "
                      b"12.2.0, GNU ld 2.40) #1 SMP\n",
            "duplicate": (head + "PAGESIZE=4096\n").encode()}


def orc_input(entries, stack, start, flags, size=0x1000, lookup=True):
    """fuzz_orc input: 9 u32 (ip table, count, orc table, lookup, lookup
    count, start ip/sp/bp, flags), then guest memory at BASE that is also
    the text: the ip table at 0x100, the entries at 0x200, the lookup at
    0x300, stack words from 0x400. entries: (ip offset, sp_offset,
    bp_offset, sp_reg, bp_reg, type, end), sorted."""
    mem = bytearray(size)
    for i, (ip, spo, bpo, spr, bpr, typ, end) in enumerate(entries):
        struct.pack_into("<i", mem, 0x100 + 4 * i, ip - (0x100 + 4 * i))
        struct.pack_into("<hhH", mem, 0x200 + 6 * i, spo, bpo,
                         spr | bpr << 4 | typ << 8 | end << 10)
    nblocks = size // 256 + 1
    for blk in range(nblocks):
        at = min(blk * 256, size)
        idx = max([i for i, e in enumerate(entries) if e[0] <= at] or [0])
        struct.pack_into("<I", mem, 0x300 + 4 * blk, idx)
    for off, word in stack.items():
        struct.pack_into("<Q", mem, 0x400 + off, word)
    head = struct.pack("<9I", 0x100, len(entries), 0x200, 0x300,
                       nblocks if lookup else 0, *start, flags)
    return head + bytes(mem)


def orc():
    base = 0xFFFFFFFF81000000
    SP, BP, PREV_SP, UNDEF, SP_IND, DI = 5, 4, 1, 0, 9, 3
    CALL, REGS, IRET = 0, 1, 2
    chain = [(0x000, 16, -16, SP, PREV_SP, CALL, 0),
             (0x040, 0, 0, UNDEF, 0, CALL, 1)]
    regs = [(0x000, 0, 0, SP, UNDEF, REGS, 0),
            (0x060, 16, -16, BP, PREV_SP, CALL, 0),
            (0x080, 0, 0, UNDEF, 0, CALL, 1)]
    iret = [(0x000, 0, 0, SP, UNDEF, IRET, 0),
            (0x060, 8, 0, SP_IND, UNDEF, CALL, 0),
            (0x080, 0, 0, DI, UNDEF, CALL, 0),
            (0x0c0, 0, 0, UNDEF, 0, CALL, 1)]
    pt = {8 * 16: base + 0x61, 8 * 17: 0x10, 8 * 19: base + 0x500,
          8 * 4: base + 0x600}
    return {
        "chain": orc_input(chain, {8: base + 0x50}, (0x10, 0x400, 0), 1),
        "chain_no_lookup": orc_input(chain, {8: base + 0x50},
                                     (0x10, 0x400, 0), 1, lookup=False),
        "regs": orc_input(regs, {**pt, 0x208: base + 0x90},
                          (0x10, 0x400, 0), 1),
        "iret": orc_input(iret, {0: base + 0x70, 8: 0x10, 24: base + 0x480,
                                 0x80: base + 0x4c0, 0xb8: base + 0x90},
                          (0x10, 0x400, 0), 3),
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
