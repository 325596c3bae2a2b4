#!/usr/bin/env python3
"""The man page and the bash completion cannot drift from the code.

    check_docs.py SRCDIR KVMSCOPE

Fails, naming what to fix, when an option of `kvmscope run` (the
run_longopts table and getopt string in src/cli/run_options.c) or of
`kvmscope ctl` (src/cli/cmd_ctl.c) is missing from docs/kvmscope.1 or from
completions/kvmscope.bash, when the completion offers an option that does
not exist, when a control command (a row of an api_command table under
src/) is not in the man page or not offered by the completion, or when groff warns about the man
page.
"""
import pathlib
import re
import shutil
import subprocess
import sys


def longopts(src, table):
    """The long option names of a struct option table and the short
    letters of the getopt_long() string that uses it."""
    text = src.read_text()
    m = re.search(r"struct option %s\[\] = \{(.*?)\n\};" % table, text, re.S)
    if not m:
        sys.exit("%s: no struct option %s[] table" % (src, table))
    names = re.findall(r'\{\s*"([a-z][a-z0-9-]*)",', m.group(1))
    shorts = re.search(r'getopt_long\([^"]*"([^"]*)",\s*%s' % table, text)
    if not shorts:
        sys.exit("%s: no getopt_long() call with %s" % (src, table))
    letters = sorted(set(shorts.group(1)) - set(":+-"))
    return names, letters


def man_escape(s):
    return s.replace("-", r"\-")


def main():
    src, kvmscope = pathlib.Path(sys.argv[1]), sys.argv[2]
    man = (src / "docs" / "kvmscope.1").read_text()
    comp_path = src / "completions" / "kvmscope.bash"
    comp = comp_path.read_text()
    errors = []

    def comp_list(var):
        m = re.search(r'%s="([^"]*)"' % var, comp)
        if not m:
            sys.exit("%s: no %s" % (comp_path, var))
        return set(m.group(1).split())

    for cmd, path, table, var in (
            ("run", "src/cli/run_options.c", "run_longopts",
             "_kvmscope_run_opts"),
            ("ctl", "src/cli/cmd_ctl.c", "ctl_longopts",
             "_kvmscope_ctl_opts")):
        opts, letters = longopts(src / path, table)
        want = {"--" + n for n in opts} | {"-" + c for c in letters}
        for o in sorted(want):
            if man_escape(o) not in man:
                errors.append("docs/kvmscope.1: kvmscope %s option %s (%s) "
                              "is not documented" % (cmd, o, path))
        offered = comp_list(var)
        for o in sorted(want - offered):
            errors.append("completions/kvmscope.bash: %s lacks %s (%s)" %
                          (var, o, path))
        for o in sorted(offered - want):
            errors.append("completions/kvmscope.bash: %s offers %s, which "
                          "%s does not have" % (var, o, path))
        # Every long option of run gets its own paragraph in RUN OPTIONS.
        if cmd == "run":
            for name in opts:
                if not re.search(r"^\.(?:B|BI|BR) .*%s\b" %
                                 re.escape(man_escape("--" + name)), man,
                                 re.M):
                    errors.append("docs/kvmscope.1: no .TP entry for "
                                  "--%s" % name)

    # The control commands: the rows of every api_command table (one per
    # file that serves commands, gathered by src/api/commands.c).
    commands = []
    for path in sorted((src / "src").rglob("*.c")):
        for table in re.findall(r"struct api_command \w+\[\] = \{(.*?)\n\};",
                                path.read_text(), re.S):
            commands += re.findall(r'\{\s*"([a-z_][a-z0-9_-]*)",\s*api_cmd_',
                                   table)
    if len(commands) < 10:
        errors.append("src/: found only %d control commands in api_command "
                      "tables: %s" % (len(commands), " ".join(commands)))
    for c in commands:
        if not re.search(r'^\.(?:B|BI|BR) "?%s\b' % re.escape(man_escape(c)),
                         man, re.M):
            errors.append("docs/kvmscope.1: control command %s is not in "
                          "CONTROL COMMANDS" % c)

    # What the completion offers for `kvmscope ctl SOCKET <TAB>`.
    script = ('source "$1"; COMP_WORDS=("$2" ctl /tmp/sock ""); '
              'COMP_CWORD=3; _kvmscope; printf "%s\\n" "${COMPREPLY[@]}"')
    p = subprocess.run(["bash", "-c", script, "bash", str(comp_path),
                        kvmscope], capture_output=True, text=True,
                       timeout=30)
    offered = set(p.stdout.split())
    for c in commands:
        if c not in offered:
            errors.append("completions/kvmscope.bash: `kvmscope ctl SOCKET "
                          "<TAB>` does not offer %s (got: %s; stderr: %s)" %
                          (c, " ".join(sorted(offered)) or "nothing",
                           p.stderr.strip()))

    groff = shutil.which("groff")
    if not groff:
        errors.append("groff missing: run scripts/install-deps.sh "
                      "(package groff-base)")
    else:
        p = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z",
                            str(src / "docs" / "kvmscope.1")],
                           capture_output=True, text=True, timeout=30)
        if p.returncode or p.stderr.strip():
            errors.append("docs/kvmscope.1: groff warns:\n" + p.stderr)

    for e in errors:
        print(e)
    if errors:
        return 1
    print("man page and completion match %d run/ctl options and %d control "
          "commands" % (len(longopts(src / "src/cli/run_options.c",
                                     "run_longopts")[0]) +
                        len(longopts(src / "src/cli/cmd_ctl.c",
                                     "ctl_longopts")[0]), len(commands)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
