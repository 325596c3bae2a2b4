#!/usr/bin/env python3
"""Fail when a source file includes a header from a layer above its own.

The layer order (lowest first; docs/architecture.md explains each):

  0 util/                      freestanding helpers
  1 vmm base                   vmm/memory, vmm/bus, vmm/kvm, vmm/exit_status:
                               the primitives devices and arch code build on
  2 arch/ devices/             boot loaders, CPU model, page walker, decoders;
                               device models
  3 vmm/                       the VM: lifecycle, vCPU loop, exits, holds,
                               listeners, event loop
  4 cmd/                       what a control command is, running one
  5 inspect/ os/               introspection and guest-OS awareness
  6 api/ debug/                the control socket (QMP), the gdb stub
  7 cli/ main.c                command line

A file may include headers of its own layer or below. Upper layers reach
the ones below through callbacks they register (event sources, state
listeners, the debug hook, the symbolizer), never the other way round.

Usage: check_layers.py SRC_DIR      check the tree
       check_layers.py --self-test  prove that an upward include fails
"""
import os
import re
import shutil
import sys
import tempfile

LAYERS = [
    (0, "util/"),
    (1, "vmm/memory."), (1, "vmm/bus."), (1, "vmm/kvm."),
    (1, "vmm/exit_status."),
    (2, "arch/"), (2, "devices/"),
    (3, "vmm/"),
    (4, "cmd/"),
    (5, "inspect/"), (5, "os/"),
    (6, "api/"), (6, "debug/"),
    (7, "cli/"), (7, "main.c"),
]
NAMES = {0: "util", 1: "vmm base", 2: "arch/devices", 3: "vmm", 4: "cmd",
         5: "inspect/os", 6: "api/debug", 7: "cli"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(path):
    for level, prefix in LAYERS:
        if path.startswith(prefix):
            return level
    return None


def check(src):
    errors = []
    files = 0
    for root, _, names in os.walk(src):
        for name in sorted(names):
            if not name.endswith((".c", ".h")):
                continue
            full = os.path.join(root, name)
            rel = os.path.relpath(full, src).replace(os.sep, "/")
            files += 1
            mine = layer_of(rel)
            if mine is None:
                errors.append(f"{rel}: in no layer: add its directory to "
                              "tests/layering/check_layers.py and "
                              "docs/architecture.md")
                continue
            with open(full, encoding="utf-8", errors="replace") as f:
                text = f.read()
            for m in INCLUDE.finditer(text):
                inc = m.group(1)
                theirs = layer_of(inc)
                line = text.count("\n", 0, m.start()) + 1
                if theirs is None:
                    if not os.path.exists(os.path.join(src, inc)):
                        continue  # a local header next to the file
                    errors.append(f"{rel}:{line}: includes \"{inc}\", "
                                  "which is in no layer")
                elif theirs > mine:
                    errors.append(
                        f"{rel}:{line}: includes \"{inc}\" from layer "
                        f"{NAMES[theirs]} above its own ({NAMES[mine]}): "
                        "let the upper layer register a callback instead")
    return files, errors


def self_test():
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.join(here, "..", "..", "src")
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "src")
        shutil.copytree(src, copy)
        _, before = check(copy)
        if before:
            print("self-test: the tree itself has violations:", *before,
                  sep="\n  ")
            return 1
        bad = os.path.join(copy, "vmm", "vm.c")
        with open(bad, "a") as f:
            f.write('\n#include "api/server.h"\n')
        _, after = check(copy)
        if len(after) != 1 or "vmm/vm.c" not in after[0] \
                or "api/server.h" not in after[0]:
            print("self-test: an upward include in vmm/vm.c was not caught:",
                  after)
            return 1
    print("self-test: an upward include is caught:", after[0])
    return 0


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--self-test":
        return self_test()
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    files, errors = check(sys.argv[1])
    for e in errors:
        print(e)
    if files == 0:
        print(f"no sources under {sys.argv[1]}")
        return 1
    print(f"{files} files, {len(errors)} upward includes")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
