#!/usr/bin/env python3
"""Write an uncompressed "newc" cpio archive from a list of entries.

    mkcpio.py OUTPUT < LIST

Each line of LIST describes one entry (the same shape as the kernel's
usr/gen_init_cpio lists, so the format is familiar):

    dir   NAME MODE UID GID
    file  NAME SOURCE MODE UID GID
    slink NAME TARGET MODE UID GID
    nod   NAME MODE UID GID c|b MAJOR MINOR

MODE is octal permission bits.  Owners, device nodes and timestamps are
written as given, so no root privileges or fakeroot are needed, and the
archive is byte-for-byte reproducible (all mtimes are 0).  Blank lines and
lines starting with '#' are ignored.
"""

import stat
import sys

MAGIC = b"070701"


def header(ino, mode, uid, gid, nlink, size, rmajor, rminor, namesize):
    fields = (ino, mode, uid, gid, nlink, 0, size, 0, 0, rmajor, rminor,
              namesize, 0)
    return MAGIC + b"".join(b"%08X" % f for f in fields)


def pad4(n):
    return b"\0" * (-n % 4)


class Writer:
    def __init__(self, out):
        self.out = out
        self.ino = 1
        self.pos = 0

    def _put(self, data):
        self.out.write(data)
        self.pos += len(data)

    def entry(self, name, mode, uid=0, gid=0, data=b"", rdev=(0, 0)):
        name = name.lstrip("/").encode() or b"."
        nlink = 2 if stat.S_ISDIR(mode) else 1
        namez = name + b"\0"
        self._put(header(self.ino, mode, uid, gid, nlink, len(data),
                         rdev[0], rdev[1], len(namez)))
        self._put(namez)
        self._put(pad4(self.pos))
        self._put(data)
        self._put(pad4(self.pos))
        self.ino += 1

    def trailer(self):
        self.ino = 0
        self.entry("TRAILER!!!", 0)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    with open(sys.argv[1], "wb") as out:
        w = Writer(out)
        for lineno, line in enumerate(sys.stdin, 1):
            f = line.split()
            if not f or f[0].startswith("#"):
                continue
            try:
                kind, name = f[0], f[1]
                if kind == "dir":
                    perm, uid, gid = int(f[2], 8), int(f[3]), int(f[4])
                    w.entry(name, stat.S_IFDIR | perm, uid, gid)
                elif kind == "file":
                    with open(f[2], "rb") as src:
                        data = src.read()
                    perm, uid, gid = int(f[3], 8), int(f[4]), int(f[5])
                    w.entry(name, stat.S_IFREG | perm, uid, gid, data)
                elif kind == "slink":
                    perm, uid, gid = int(f[3], 8), int(f[4]), int(f[5])
                    w.entry(name, stat.S_IFLNK | perm, uid, gid,
                            f[2].encode())
                elif kind == "nod":
                    perm, uid, gid = int(f[2], 8), int(f[3]), int(f[4])
                    kind_bit = {"c": stat.S_IFCHR, "b": stat.S_IFBLK}[f[5]]
                    w.entry(name, kind_bit | perm, uid, gid,
                            rdev=(int(f[6]), int(f[7])))
                else:
                    raise ValueError("unknown entry type %r" % kind)
            except (IndexError, KeyError, ValueError, OSError) as e:
                sys.exit("mkcpio: line %d: %s: %s" % (lineno, line.strip(), e))
        w.trailer()


if __name__ == "__main__":
    main()
