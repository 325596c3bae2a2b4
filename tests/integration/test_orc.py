"""ORC: guest-backtrace on the ORC variant of the default guest
(guests/linux/variants/orc.config: CONFIG_UNWINDER_ORC, no frame
pointers, as distribution kernels are built), from guest RAM alone.

The guest starts two sleepers, a `sleep` (in clock_nanosleep) and a `cat`
blocked reading a pipe, waits until each is asleep, and prints their
/proc/PID/stack and kthreadd's (pid 2): the kernel's own ORC unwinder's view. kvmscope's
`guest-backtrace pid=N` must name the same functions in the same order
(the kernel leaves out scheduler and lock functions there:
stack_trace_save_tsk skips return addresses in .sched.text and
.lock.text, so the comparison does too), with "unwinder": "orc".
`guest-backtrace cpu=0` of the idling vCPU must walk from the idle loop
to the stack's end.
"""
import base64
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import (KVMSCOPE, QMP, ROOT, Running, run_kvmscope,
                      wait_for_socket)

BOOT_TIMEOUT = 600
END = "KVMSCOPE-ORC-END"
GUEST_COMMAND = (
    "sleep 100000 & S=$!; sleep 100000 | cat >/dev/null & C=$!; "
    "for p in $S $C; do until grep -q -e nanosleep -e pipe_read "
    "/proc/$p/stack 2>/dev/null; do sleep 1; done; done; "
    "echo ORC-PIDS $S $C; echo ORC-STACK $S; cat /proc/$S/stack; "
    "echo ORC-STACK $C; cat /proc/$C/stack; echo ORC-STACK 2; "
    "cat /proc/2/stack; echo %s; wait" % END)
STOPS = {  # the ORC_STOP_* reasons of src/os/orc.h
    "the stack's end (an ORC end marker)",
    "the entry from user space (pt_regs of user mode)",
    "the frame limit", "an address with no ORC entry",
    "an ORC entry with an undefined stack pointer",
    "an orc_lookup entry outside the ORC tables",
    "an ORC entry with an unknown sp register",
    "an ORC entry with an unknown bp register",
    "an ORC entry of an unknown type",
    "an sp register that no pt_regs on the stack saved",
    "a stack address outside the kernel's half",
    "a misaligned stack address", "a stack address that cannot be read",
    "a stack address outside the task's stack",
    "a stack pointer that does not move up the stack",
    "a cycle (a frame seen before)", "a return address outside kernel text",
    "an interrupted address outside kernel text",
}


def built(script, variant=None):
    env = dict(os.environ)
    if variant:
        env["KVMSCOPE_KERNEL_VARIANT"] = variant
    out = subprocess.run([str(ROOT / "guests/linux" / script)], check=True,
                         capture_output=True, text=True, timeout=3600,
                         env=env)
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def orc_kernel():
    # The variant's last line is its bzImage; the PVH vmlinux beside it
    # boots without the emulated decompression.
    vmlinux = os.path.join(os.path.dirname(built("build-kernel.sh", "orc")),
                           "vmlinux")
    config = open(os.path.join(os.path.dirname(vmlinux), "config")).read()
    assert "CONFIG_UNWINDER_ORC=y" in config.splitlines()
    assert "CONFIG_FRAME_POINTER=y" not in config.splitlines()
    return vmlinux, built("build-initramfs.sh")


@pytest.fixture(scope="module")
def orc_guest(orc_kernel, tmp_path_factory):
    vmlinux, initrd = orc_kernel
    sock = tmp_path_factory.mktemp("orc") / "vm.sock"
    run = base64.b64encode(GUEST_COMMAND.encode()).decode()
    g = Running("--kernel", vmlinux, "--initrd", initrd, "--mem", "256M",
                "--append", "console=ttyS0 panic=-1 quiet rodata=off "
                "kvmscope.run=" + run, "--api-sock", sock)
    try:
        assert wait_for_socket(sock), g.finish(signal.SIGKILL)
        assert g.wait_for(END + "\r\n", timeout=BOOT_TIMEOUT) or \
            g.wait_for(END + "\n", timeout=1), g.finish(signal.SIGKILL)
        out = g.out.decode(errors="replace").replace("\r\n", "\n")
        pids = [int(p) for p in
                re.search(r"^ORC-PIDS (\d+) (\d+)$", out, re.M).groups()]
        stacks = {}
        for pid in pids + [2]:
            text = out.split("ORC-STACK %d\n" % pid, 1)[1]
            text = re.split(r"^(?:ORC-STACK|%s)" % END, text, 1, re.M)[0]
            stacks[pid] = re.findall(r"^\[<[0-9a-f]+>\] ([^+\s]+)\+0x",
                                     text, re.M)
        q = QMP(sock)
        yield {"qmp": q, "sock": sock, "pids": pids, "stacks": stacks,
               "out": out}
        q.close()
    finally:
        g.finish(signal.SIGKILL)


def symbol_address(q, name):
    return int(q.ok("query-symbol", name=name)["address"], 16)


def names(bt):
    return [(f["symbol"] or "?").split("+")[0] for f in bt["frames"]]


def test_sleeping_tasks_match_proc_pid_stack(orc_guest):
    q = orc_guest["qmp"]
    skipped = [(symbol_address(q, "__sched_text_start"),
                symbol_address(q, "__sched_text_end")),
               (symbol_address(q, "__lock_text_start"),
                symbol_address(q, "__lock_text_end"))]
    sleep, cat = orc_guest["pids"]
    user = "the entry from user space (pt_regs of user mode)"
    for pid, waits_in, stop in ((sleep, "hrtimer_nanosleep", user),
                                (cat, "pipe_read", user),
                                (2, "kthreadd",
                                 "the stack's end (an ORC end marker)")):
        theirs = orc_guest["stacks"][pid]
        assert waits_in in theirs, (pid, theirs, orc_guest["out"][-3000:])
        t0 = time.monotonic()
        bt = q.ok("guest-backtrace", pid=pid)
        # the first walk reads the ~2 MB of tables, the next reuse them
        print("\nguest-backtrace pid=%d: %d frames in %.0f ms" %
              (pid, len(bt["frames"]), 1000 * (time.monotonic() - t0)))
        assert bt["unwinder"] == "orc", bt
        # frame 0 is the return address __switch_to_asm's frame holds
        assert bt["frames"][0]["frame"] == "return", bt
        assert names(bt)[:2] == ["__schedule", "schedule"], bt
        ours = [n for f, n in zip(bt["frames"], names(bt))
                if not any(lo <= int(f["pc"], 16) < hi
                           for lo, hi in skipped)]
        assert ours == theirs, (pid, names(bt), theirs)
        assert bt["stop"] == stop, bt
        if pid == 2:  # a kernel thread: from ret_from_fork's end hint
            assert ours == ["kthreadd", "ret_from_fork"], ours
            continue
        # the syscall's entry: on hosts that misdeliver SYSCALL, the page
        # fault that guests/linux/patches/0001 completes it from
        assert ours[-2] == "do_syscall_64", ours
        assert ours[-1] in ("entry_SYSCALL_64_after_hwframe",
                            "asm_exc_page_fault"), ours
        assert all(f["sp"] and f["fp"] is None for f in bt["frames"]), bt


def test_running_vcpu_and_text_form(orc_guest):
    q = orc_guest["qmp"]
    # vCPU 0 idles (every task sleeps) but a sample can catch it anywhere:
    # in a timer interrupt on the IRQ stack, in entry code, in user mode
    # (the shell on its way to `wait`, an error, sampled again). Every
    # sample is an ORC walk that ends at a named reason, and one of a few
    # runs from the idle loop down to the boot stack's ORC end marker.
    idle, seen = None, []
    for _ in range(60):
        r = q.execute("guest-backtrace", cpu=0)
        if "error" in r:  # caught in user mode: no kernel stack
            assert "runs user code" in r["error"]["desc"], r
            seen.append(r["error"]["desc"])
            time.sleep(0.5)
            continue
        bt = r["return"]
        assert bt["unwinder"] == "orc", bt
        assert bt["stop"] in STOPS, bt
        assert bt["frames"][0]["frame"] == "pc", bt
        n = names(bt)
        print("\ncpu=0: " + " <- ".join(
            x + {"pt_regs": " [pt_regs]", "iret": " [iret]"}.get(
                f["frame"], "") for x, f in zip(n, bt["frames"])))
        if "do_idle" in n:
            idle = bt
            break
        seen.append((n, bt["stop"]))
        time.sleep(0.25)
    assert idle, ("vCPU 0 was never seen idle", seen)
    n = names(idle)
    assert n[n.index("do_idle") + 1] == "cpu_startup_entry", n
    assert "start_kernel" in n, n
    assert idle["stop"] == "the stack's end (an ORC end marker)", idle
    pid = orc_guest["pids"][0]
    p = subprocess.run([str(KVMSCOPE), "ctl", str(orc_guest["sock"]),
                        "guest-backtrace", "pid=%d" % pid],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    print("\n" + p.stdout)
    assert lines[0] == "pid %d (sleep):" % pid, p.stdout
    assert re.match(r"^ #0  0xffffffff[0-9a-f]{8} __schedule\+0x[0-9a-f]+$",
                    lines[1]), p.stdout
    assert lines[-1] == ("(orc unwinder; stopped at the entry from user "
                         "space (pt_regs of user mode))"), p.stdout


def test_panic_report_unwinds_with_orc(orc_kernel):
    # No initramfs, no root device: the kernel panics in kernel_init, and
    # kvmscope's panic report walks the panicking vCPU's stack with ORC
    # (as tests/integration/test_linux.py does on the frame-pointer guest)
    r = run_kvmscope("--kernel", orc_kernel[0], "--mem", "256M", "--append",
                     "console=ttyS0 panic=-1 quiet rodata=off",
                     timeout=BOOT_TIMEOUT)
    assert r.status == 18, r
    assert re.search(r"guest panic: backtrace of vCPU \d+ \(orc unwinder, "
                     r"guest kallsyms\):", r.err), r.err
    frames = re.findall(r"^  #\d+ +0xffffffff[0-9a-f]{8} (\w+)\+0x", r.err,
                        re.M)
    assert "panic" in frames and "mount_block_root" in frames, r.err
    assert frames[-2:] == ["kernel_init", "ret_from_fork"], r.err
