#!/usr/bin/env python3
"""README.md's dependency list is scripts/install-deps.sh's package list,
and the guest scripts install nothing that list lacks.

    check_readme_deps.py SRCDIR

The list sits between the two `install-deps.sh --markdown` comment lines of
README.md; regenerate it with `scripts/install-deps.sh --markdown`.
"""
import pathlib
import re
import subprocess
import sys

BEGIN = "<!-- begin: scripts/install-deps.sh --markdown -->"
END = "<!-- end: scripts/install-deps.sh --markdown -->"


def main():
    src = pathlib.Path(sys.argv[1])
    readme = (src / "README.md").read_text()
    m = re.search(re.escape(BEGIN) + r"\n(.*?)" + re.escape(END), readme,
                  re.S)
    if not m:
        print("README.md: no dependency list between %r and %r" %
              (BEGIN, END))
        return 1
    want = subprocess.run([str(src / "scripts" / "install-deps.sh"),
                           "--markdown"], check=True, capture_output=True,
                          text=True, timeout=30).stdout
    if m.group(1) != want:
        print("README.md's dependency list differs from "
              "scripts/install-deps.sh: replace the lines between the "
              "install-deps.sh comments with the output of "
              "`scripts/install-deps.sh --markdown`:")
        print(want, end="")
        return 1
    # guests/linux/*.sh install what they miss when run by hand: their
    # packages must be on the one list too (dpkg is Essential).
    listed = set(subprocess.run([str(src / "scripts" / "install-deps.sh"),
                                 "--list"], check=True, capture_output=True,
                                text=True, timeout=30).stdout.split())
    bad = []
    for script in sorted((src / "guests" / "linux").glob("*.sh")):
        text = script.read_text()
        names = set()
        for m in re.finditer(r"^\s*(?:BUILD_DEPS|SRCPKG|PKG)=\(?([^)\n]*)\)?",
                             text, re.M):
            names.update(m.group(1).split())
        names.update(re.findall(r"need\+=\(([a-z0-9.+-]+)\)", text))
        for n in sorted(names - listed - {"dpkg"}):
            bad.append("%s installs %s, which scripts/install-deps.sh does "
                       "not list" % (script.relative_to(src), n))
    for b in bad:
        print(b)
    if bad:
        return 1
    print("README.md lists the %d packages of scripts/install-deps.sh" %
          want.count("\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
