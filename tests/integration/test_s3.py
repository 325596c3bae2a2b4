"""ACPI S3 with the test kernel: it finds the FACS, writes a real-mode
waking vector, sleeps through PM1a control and is woken by its RTC alarm
or by QMP system_wakeup, restarting at CS:IP = 0600:0008 (vector 0x6008)
with RTC register C and PM1 status as a PC's firmware leaves them."""
import signal
import time

from conftest import QMP, TESTKERNEL, Running, run_guest, wait_for_socket

HEAD = "s3: facs at 0xe01c0, SLP_TYP 1, PM1a control\n"
WOKEN = ("s3: woken through the waking vector (1) at 0600:0008\n")


def test_s3_woken_by_the_rtc_alarm():
    t0 = time.monotonic()
    r = run_guest("s3", "--verbose")
    took = time.monotonic() - t0
    assert r.status == 103, r
    assert r.out.replace("\r\n", "\n") == (
        HEAD +
        "s3: waking vector 0x6008, rtc alarm in 2 s, entering S3\n" +
        WOKEN +
        # IRQF | AF, and reading C cleared it.
        "s3: rtc register c 0xa0, then 0x00\n"
        # WAK_STS and RTC_STS: the RTC alarm woke it (RTC_EN was set).
        "s3: WAK_STS set, PM1 status 0x8400\n"), r
    assert "guest suspended to RAM (ACPI S3)" in r.err, r
    assert ("guest woken from ACPI S3 by rtc: vCPU 0 at 0600:0008 "
            "(real mode)") in r.err, r
    # The alarm is 1-2 s ahead (the seconds register only).
    assert 0.9 < took < 10, took


def test_s3_without_a_waking_vector_resets():
    # As SeaBIOS's s3_resume: no vector to resume at, so a reboot.
    r = run_guest("s3 novector")
    assert r.status == 4, r
    assert r.out.replace("\r\n", "\n") == (
        HEAD + "s3: waking vector 0x0, rtc alarm in 2 s, entering S3\n"), r
    assert ("the guest woke from ACPI S3 without a waking vector in the "
            "FACS: reset, as firmware does (exit status 4)") in r.err, r


def kvm_exits(c):
    res = c.ok("query-stats", target="vcpu",
               providers=[{"provider": "kvm", "names": ["exits"]}])
    return [{x["name"]: x["value"] for x in r["stats"]}["exits"]
            for r in res]


def cpu_states(c):
    return [v["state"] for v in c.ok("query-cpus-fast")]


def test_s3_woken_by_system_wakeup(tmp_path):
    sock = tmp_path / "q.sock"
    g = Running("--kernel", TESTKERNEL, "--append", "s3 qmp", "--cpus", "2",
                "--api-sock", sock)
    try:
        assert wait_for_socket(sock), g.finish(signal.SIGKILL)
        c = QMP(sock)
        assert c.ok("query-status")["status"] == "running"
        assert g.wait_for("entering S3\n"), g.finish(signal.SIGKILL)
        deadline = time.time() + 20
        while c.ok("query-status")["status"] != "suspended":
            assert time.time() < deadline, g.finish(signal.SIGKILL)
            time.sleep(0.05)
        assert c.ok("query-status") == {"status": "suspended",
                                        "running": False}
        assert [e["event"] for e in c.events] == ["SUSPEND"], c.events
        assert "data" not in c.events[0]
        # Parked outside KVM_RUN, not spinning: no exit while it sleeps.
        before = kvm_exits(c)
        time.sleep(0.5)
        assert kvm_exits(c) == before
        assert cpu_states(c)[0] == "paused", cpu_states(c)
        err = c.execute("cont")
        assert "suspended (ACPI S3)" in err["error"]["desc"], err
        assert c.ok("system_wakeup") == {}
        assert g.wait_for("s3: idle\n"), g.finish(signal.SIGKILL)
        assert [e["event"] for e in c.events] == ["SUSPEND", "WAKEUP"], \
            c.events
        assert c.ok("query-status")["status"] == "running"
        err = c.execute("system_wakeup")
        assert err["error"]["desc"] == \
            "Unable to wake up: guest is not in suspended state", err
        # The boot vCPU resumed, the AP waits for SIPI as after INIT.
        assert cpu_states(c)[1] == "wait-for-sipi", cpu_states(c)
        c.close()
    finally:
        r = g.finish(signal.SIGTERM)
    out = r.out.replace("\r\n", "\n")
    assert (HEAD +
            "smp: fw_cfg reports 2 cpus\n"
            "cpu 0 (bsp) apic id 0\n") in out, r
    assert ("s3: waking vector 0x6008, no alarm, entering S3\n" + WOKEN +
            "s3: rtc register c 0x00, then 0x00\n"
            "s3: WAK_STS set, PM1 status 0x8000\n"
            "s3: idle\n") in out, r
    assert r.status == 130, r
