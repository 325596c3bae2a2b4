#!/usr/bin/env python3
"""README.md's dependency list is scripts/install-deps.sh's package list.

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
    print("README.md lists the %d packages of scripts/install-deps.sh" %
          want.count("\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
