#!/usr/bin/env python3
"""Extract the uncompressed ELF vmlinux from a bzImage.

The x86 boot protocol (2.08+) says where the compressed kernel is:
payload_offset (0x248) and payload_length (0x24c), relative to the start of
the protected-mode code at (setup_sects + 1) * 512. The compression is told
by the payload's magic; decompressors are Python's own or Debian's CLIs.

usage: extract-vmlinux.py BZIMAGE OUT
"""
import gzip
import lzma
import struct
import subprocess
import sys


def decompress(payload):
    if payload[:2] == b"\x1f\x8b":
        return gzip.decompress(payload)
    if payload[:6] == b"\xfd7zXZ\x00":
        return lzma.decompress(payload)
    if payload[:3] == b"\x5d\x00\x00":
        return lzma.decompress(payload, format=lzma.FORMAT_ALONE)
    tools = {b"\x02\x21\x4c\x18": ["lz4", "-d", "-c"],  # LZ4 legacy frame
             b"\x28\xb5\x2f\xfd": ["zstd", "-d", "-c"]}
    for magic, cmd in tools.items():
        if payload.startswith(magic):
            # The payload is followed by the 4-byte decompressed size,
            # which lz4/zstd do not expect: drop it.
            r = subprocess.run(cmd, input=payload[:-4], capture_output=True)
            if r.returncode and not r.stdout.startswith(b"\x7fELF"):
                sys.exit("extract-vmlinux: %s failed: %s" %
                         (cmd[0], r.stderr.decode().strip()))
            return r.stdout
    sys.exit("extract-vmlinux: unknown compression (magic %s)" %
             payload[:4].hex())


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    img = open(sys.argv[1], "rb").read()
    if len(img) < 0x250 or img[0x202:0x206] != b"HdrS":
        sys.exit("extract-vmlinux: %s is not a bzImage" % sys.argv[1])
    version = struct.unpack_from("<H", img, 0x206)[0]
    if version < 0x208:
        sys.exit("extract-vmlinux: boot protocol %d.%02d has no payload "
                 "fields" % (version >> 8, version & 0xff))
    setup_sects = img[0x1f1] or 4
    off, length = struct.unpack_from("<II", img, 0x248)
    start = (setup_sects + 1) * 512 + off
    if start + length > len(img):
        sys.exit("extract-vmlinux: payload runs past the end of the file")
    elf = decompress(img[start:start + length])
    if not elf.startswith(b"\x7fELF"):
        sys.exit("extract-vmlinux: the payload is not an ELF vmlinux")
    open(sys.argv[2], "wb").write(elf)


if __name__ == "__main__":
    main()
