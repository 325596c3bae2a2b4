"""Every test-guest scenario on the real /dev/kvm: output and exit status."""
import re
import signal

import pytest

from conftest import ROOT, TESTKERNEL, Running, run_guest, run_kvmscope


def test_hello_prints_greeting_and_boot_info():
    r = run_guest("hello")
    assert r.status == 1, r  # debug-exit 0 -> (0 << 1) | 1
    assert "Hello from the kvmscope test guest!" in r.out, r
    # argv[0] is the kernel's file name, then --append
    assert "cmdline: %s hello" % TESTKERNEL in r.out, r
    m = re.search(r"mem_lower=(\d+) mem_upper=(\d+)", r.out)
    assert m, r
    assert int(m.group(1)) == 639
    assert int(m.group(2)) == (256 * 1024 - 1024)
    assert "mmap: base=0x0 len=0x9fc00 type=1" in r.out, r
    assert "mmap: base=0x100000 len=0xff00000 type=1" in r.out, r
    assert "hello: done" in r.out


@pytest.mark.parametrize("code,status", [(0, 1), (5, 11), (42, 85),
                                         (127, 255)])
def test_exit_code_via_debug_exit(code, status):
    r = run_guest("exit %d" % code)
    assert r.status == status, r
    assert "exit: %d" % code in r.out


def test_ram_above_4g_is_mapped_above_the_hole():
    r = run_guest("hello", "--mem", "5G")
    assert r.status == 1, r
    assert "mmap: base=0x100000 len=0xbff00000 type=1" in r.out, r
    assert "mmap: base=0x100000000 len=0x80000000 type=1" in r.out, r


def test_modules_are_passed_page_aligned_with_names(tmp_path):
    a = tmp_path / "first.bin"
    b = tmp_path / "second.txt"
    a.write_bytes(b"MODULE-ONE-DATA!" + bytes(5000))
    b.write_bytes(b"second module text")
    r = run_guest("hello", "--initrd", a, "--initrd", b)
    assert r.status == 1, r
    mods = re.findall(r"module (\d): start=0x([0-9a-f]+) end=0x([0-9a-f]+) "
                      r"cmdline='([^']*)' first bytes '([^']*)'", r.out)
    assert len(mods) == 2, r
    (_, s0, e0, n0, d0), (_, s1, e1, n1, d1) = mods
    assert n0 == str(a) and d0 == "MODULE-ONE-DATA!"
    assert n1 == str(b) and d1.startswith("second module te")
    for s, e, size in ((s0, e0, 5016), (s1, e1, 18)):
        assert int(s, 16) % 4096 == 0
        assert int(e, 16) - int(s, 16) == size
        # out of the memory right after the image: near the top of RAM
        assert int(s, 16) > 128 << 20


def test_pio_exit_loop_counts():
    r = run_guest("pio 5000", "--stats")
    assert r.status == 1, r
    assert "pio: 5000 exits done" in r.out
    m = re.search(r"exits: IO\s+(\d+)", r.err)
    assert m and int(m.group(1)) >= 5000, r


def test_mmio_exit_loop_and_unclaimed_read_is_all_ones():
    r = run_guest("mmio 5000", "--stats")
    assert r.status == 1, r
    assert "mmio: 5000 exits done, read 0xffffffff" in r.out, r
    m = re.search(r"exits: MMIO\s+(\d+)", r.err)
    assert m and int(m.group(1)) >= 5001, r
    m = re.search(r"unclaimed mmio reads (\d+) writes (\d+)", r.err)
    assert m and int(m.group(1)) >= 1 and int(m.group(2)) >= 5000, r


@pytest.mark.parametrize("cpus", [1, 2, 4])
def test_smp_brings_up_every_cpu(cpus):
    r = run_guest("smp", "--cpus", cpus, timeout=120)
    assert r.status == 1, r
    assert "smp: fw_cfg reports %d cpus" % cpus in r.out, r
    assert "cpu 0 (bsp) apic id 0" in r.out
    # APs number themselves in arrival order; every APIC ID must show up
    ups = re.findall(r"cpu (\d+) up \(apic id (\d+)\)", r.out)
    assert sorted(int(n) for n, _ in ups) == list(range(1, cpus)), r
    assert sorted(int(a) for _, a in ups) == list(range(1, cpus)), r
    assert "smp: %d cpus up" % cpus in r.out, r


def test_triple_fault_ends_with_diagnostic():
    r = run_guest("triple")
    assert r.status == 6, r
    assert "triple: faulting now" in r.out
    assert "triple fault" in r.err
    for field in ("RIP", "RFLAGS", "CS", "CR0", "CR3", "CR4", "EFER",
                  "code at RIP", "64-bit long mode"):
        assert field in r.err, r
    # ud2 is 0f 0b
    assert re.search(r"code at RIP \(gpa [0-9a-f]+\): 0f 0b", r.err), r
    # named by the disassembler, for the mode the vCPU is in
    assert re.search(r"code at RIP \(gpa [0-9a-f]+\): 0f 0b[ 0-9a-f]* \(ud2\)$",
                     r.err, re.M), r
    assert len(r.err.splitlines()) < 40  # one screen


def test_int3_in_kernel_mode_delivers_bp():
    r = run_guest("int3")
    assert r.status == 1, r
    assert "int3: #BP delivered, return rip ok" in r.out, r


def test_software_interrupts_int_n_into_int1():
    r = run_guest("intn")
    assert r.status == 1, r
    assert "intn: int 0x80 and int 0x21 delivered, frames ok" in r.out, r
    assert "intn: into #UD ok" in r.out, r
    # Without VMX/SVM the host's emulator drops INT n at CPL 0: kvmscope
    # completes it, once per RIP, naming the instruction.
    with open("/proc/cpuinfo") as f:
        flags = f.read()
    if not re.search(r"\b(vmx|svm)\b", flags):
        for insn in ("int 0x80", "int 0x21"):
            assert re.search(r"could not emulate '%s' at RIP [0-9a-f]+; "
                             r"emulator fallback 'int n': delivered the "
                             r"vector through the IDT" % insn, r.err), r
        assert "declined" not in r.err, r


def test_stac_clac_xgetbv_and_hidden_instructions():
    r = run_guest("insns")
    assert r.status == 1, r
    for line in ("insns: stac/clac ok", "insns: xgetbv ok",
                 "insns: movbe register form #UD ok",
                 "insns: rdpru ok"):
        assert line in r.out, r
    with open("/proc/cpuinfo") as f:
        flags = f.read()
    if not re.search(r"\b(vmx|svm)\b", flags):
        for fallback, what in (
                ("stac", "set RFLAGS.AC"), ("clac", "cleared RFLAGS.AC"),
                ("xgetbv", "CR4.OSXSAVE clear: delivered #UD"),
                ("xgetbv", "read XCR0 \\(KVM_GET_XCRS\\) into EDX:EAX"),
                ("xgetbv", "no such extended control register: "
                           "delivered #GP\\(0\\)"),
                ("movbe", "the register form does not exist: delivered #UD")):
            assert re.search(r"emulator fallback '%s': %s" % (fallback, what),
                             r.err), (fallback, r)
        assert "declined" not in r.err, r


CACHELINE = re.compile(r"^cacheline: (clwb|clflushopt) (offered|hidden): "
                       r"mapped (\S+), non-canonical (\S+)$", re.M)


def check_cacheline(r):
    """The scenario's lines follow from what the guest's CPUID offers."""
    assert r.status == 1, r
    seen = {m.group(1): m.groups()[1:] for m in CACHELINE.finditer(r.out)}
    assert sorted(seen) == ["clflushopt", "clwb"], r
    for name, (state, mapped, noncanonical) in seen.items():
        want = ("ok", "#GP(0)") if state == "offered" else ("#UD", "#UD")
        assert (mapped, noncanonical) == want, (name, r)
    if "cacheline: invpcid hidden: #UD" not in r.out:
        for line in ("cacheline: invpcid offered: types 0-3 ok ok ok ok",
                     "cacheline: invpcid type 4 #GP(0), descriptor bit 12 "
                     "#GP(0), type 0 non-canonical #GP(0), pcid 1 without "
                     "PCIDE #GP(0)",
                     "cacheline: invpcid after remapping: new page seen"):
            assert line in r.out, r
    assert "cacheline: done" in r.out, r
    return seen


def test_clwb_clflushopt_invpcid_follow_cpuid():
    r = run_guest("cacheline")
    seen = check_cacheline(r)
    with open("/proc/cpuinfo") as f:
        flags = f.read()
    if not re.search(r"\b(vmx|svm)\b", flags):
        # This host's emulator drops CLWB at CPL 0 (it runs CLFLUSHOPT
        # itself) and its KVM offers no INVPCID: kvmscope completes both.
        assert seen["clwb"][0] == "offered", r
        for what in ("no cache line to write back in a VMM's RAM: "
                     "completed as a fence",
                     "non-canonical address: delivered #GP\\(0\\)"):
            assert re.search(r"could not emulate 'clwb \[rax\]' at RIP "
                             r"[0-9a-f]+; emulator fallback 'clwb': " + what,
                             r.err), r
        assert "cacheline: invpcid hidden: #UD" in r.out, r
        assert re.search(r"emulator fallback 'invpcid': INVPCID is not in "
                         r"the guest's CPUID: delivered #UD", r.err), r
        assert "declined" not in r.err, r


def test_cpu_features_edits_are_taken_or_reported():
    # Either KVM takes the edit (the guest sees the features hidden) or
    # kvmscope says it did not (kvm_pvm passes the host's leaf 7 through).
    r = run_guest("cacheline", "--cpu-features", "+clwb,-clwb,-clflushopt")
    seen = check_cacheline(r)
    for name in ("clwb", "clflushopt"):
        warned = re.search(r"--cpu-features -%s: this KVM did not take it: "
                           r"KVM_GET_CPUID2 still shows %s present"
                           % (name, name), r.err)
        assert (seen[name][0] == "hidden") != bool(warned), (name, r)


def test_pvpanic_ends_with_status_18_and_the_panicking_vcpus_registers():
    r = run_guest("pvpanic crash")
    assert r.status == 18, r
    # the device offers PANICKED and CRASH_LOADED; CRASH_LOADED is logged
    # and the guest runs on; PANICKED stops every vCPU at once
    assert r.out.splitlines()[-3:] == [
        "pvpanic: device offers 0x3",
        "pvpanic: running on after CRASH_LOADED",
        "pvpanic: panicking"], r
    assert "pvpanic event CRASH_LOADED" in r.err, r
    assert "the guest kernel panicked (pvpanic event PANICKED at port " \
        "0x505)" in r.err, r
    # the register dump is the vCPU that wrote the port: RDX holds 0x505
    assert re.search(r"RDX 0000000000000505", r.err), r
    assert "exit status 18" in r.err, r


def test_msrs_of_hidden_features_raise_gp():
    # Not in test_qemu_compat: QEMU 7.2 on this host lets the guest reach
    # SPEC_CTRL, PRED_CMD and FLUSH_CMD although its CPUID hides them.
    r = run_guest("msrs", "-vv")
    assert r.status == 1, r
    assert "msrs: SPEC_CTRL PRED_CMD FLUSH_CMD ARCH_CAPABILITIES follow " \
        "CPUID" in r.out, r
    # this host's KVM has the MSR filter, and the pvm-safe template hides
    # the speculation-control features
    assert re.search(r"MSR filter: \d+ MSRs of hidden CPUID features "
                     r"raise #GP", r.err), r


def test_int1_delivers_db_as_a_trap():
    r = run_guest("int1")
    assert r.status == 1, r
    assert "int1: #DB delivered, return rip ok" in r.out, r


def test_fwait_noop_and_mf():
    r = run_guest("fwait")
    assert r.status == 1, r
    assert "fwait: no-op ok" in r.out, r
    assert "fwait: #MF delivered" in r.out, r


def test_user_mode_loop():
    r = run_guest("user 10000000")
    assert r.status == 1, r
    assert "user: back in kernel from cpl 3 after 10000000 iterations" \
        in r.out, r


def test_cli_hlt_is_detected_and_diagnosed():
    r = run_guest("halt", timeout=30)
    assert r.status == 8, r
    assert "halt: cli; hlt" in r.out
    assert "halted with interrupts disabled" in r.err, r
    assert "RIP" in r.err and "code at RIP" in r.err
    # halt_forever is `cli; 8: hlt; jmp 8b`: RIP is at the jmp after hlt
    assert re.search(r"code at RIP \(gpa ([0-9a-f]+)\): eb fd[ 0-9a-f]* "
                     r"\(jmp 0x[0-9a-f]+\)$", r.err, re.M), r


def test_unknown_scenario_exits_2():
    r = run_guest("no-such-scenario")
    assert r.status == 5, r
    assert "unknown scenario 'no-such-scenario'" in r.out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_all_vcpus(sig):
    g = Running("--kernel", TESTKERNEL, "--append", "pagetables", "--cpus",
                "2")
    assert g.wait_for("pagetables: ready"), g.finish(signal.SIGKILL)
    r = g.finish(sig)
    assert r.status == 130, r
    assert "stopped by %s" % sig.name in r.err, r


def test_serial_to_file(tmp_path):
    out = tmp_path / "serial.log"
    r = run_guest("hello", "--serial", "file:%s" % out)
    assert r.status == 1, r
    assert "Hello from the kvmscope test guest!" in out.read_text()
    assert "Hello" not in r.out


def test_mxcsr_ldmxcsr_stmxcsr_every_addressing_form():
    r = run_guest("mxcsr")
    assert r.status == 1, r
    assert "mxcsr: 9 kernel-mode forms ok" in r.out, r
    assert re.search(r"mxcsr: ldmxcsr/stmxcsr ok 0x[0-9a-f]+", r.out), r
    assert "mismatch" not in r.out, r
    # Without VMX/SVM the kernel-mode ones go through kvmscope's fallback.
    with open("/proc/cpuinfo") as f:
        flags = f.read()
    if not re.search(r"\b(vmx|svm)\b", flags):
        assert "emulator fallback 'ldmxcsr'" in r.err, r
        assert "emulator fallback 'stmxcsr'" in r.err, r
        # the instruction in full, operand included
        assert re.search(r"could not emulate 'ldmxcsr \[[a-z0-9+*x]+\]'",
                         r.err), r
        assert re.search(r"could not emulate 'stmxcsr \[[a-z0-9+*x]+\]'",
                         r.err), r
        assert "declined" not in r.err, r


def test_symbols_from_the_elf32_test_kernel_with_source_lines():
    # The multiboot test kernel is an ELF32 with DWARF: --symbols takes it
    # and the diagnostic names function, offset, file and line.
    r = run_guest("triple", "--symbols", TESTKERNEL)
    assert r.status == 6, r
    m = re.search(r"RIP [0-9a-f]{16} <load_empty_idt_and_ud2\+0x[0-9a-f]+ "
                  r"at (?:/.*/)?guests/testkernel/trap\.c:(\d+)>", r.err)
    assert m, r
    src = (ROOT / "guests" / "testkernel" / "trap.c").read_text().splitlines()
    assert "ud2" in src[int(m.group(1)) - 1], (m.group(1), r)
