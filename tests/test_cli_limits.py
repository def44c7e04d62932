"""Runs that must not run away, and a ``simulate`` a pipeline can rely on (issues 15 and 9.5):
ranges checked at the boundary, the memory estimate against ``--max-memory``, a clear line
when memory runs out, ``--fail-on``, progress, Ctrl+C, outputs that cannot be written, and
one wording for errors across commands.  Fixtures are written here, in the shapes of the
issue's cases."""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from designer.cli import main
from designer.commands.base import Progress
from designer.resources import demo_path

ROOT = Path(__file__).resolve().parents[1]


def scenario_file(tmp_path: Path, name: str, *, vms: int = 1, generators: int = 1,
                  rate: float = 2.0, semantics: str = "classic", extra_nodes=(),
                  extra_links=(), **gen_fields) -> Path:
    """``vms`` standalone VMs (default SNAT), each generator calling one endpoint from all."""
    nodes = [{"id": f"vm-{i}", "kind": "vm"} for i in range(vms)]
    nodes.append({"id": "api", "kind": "endpoint", "address": "20.0.0.1", "port": 443})
    links = []
    for g in range(generators):
        gen = {"id": f"gen-{g}", "kind": "traffic_generator", "rate_per_s": rate}
        gen.update(gen_fields)
        nodes.append(gen)
        links.append({"from": f"gen-{g}", "to": "api"})
        links += [{"from": f"gen-{g}", "to": f"vm-{i}"} for i in range(vms)]
    nodes += list(extra_nodes)
    links += list(extra_links)
    path = tmp_path / f"{name}.outbound.json"
    path.write_text(json.dumps({"format": "outbound-designer", "version": 1, "name": name,
                                "semantics": semantics, "nodes": nodes, "links": links}),
                    encoding="utf-8")
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and "internal error" not in err
    return lines[0]


# ================================================================================ ranges

@pytest.mark.parametrize("option, value, words", [
    ("--duration", "1e300", "31,536,000 s (365 days)"),
    ("--duration", "inf", "positive number"),
    ("--duration", "0", "positive number"),
    ("--sample", "1e-6", "finest supported, 0.001 s"),
    ("--sample", "nan", "positive number"),
])
def test_simulate_refuses_a_run_outside_the_supported_ranges(tmp_path, capsys, option, value,
                                                             words):
    path = scenario_file(tmp_path, "small")
    code, out, err = run(capsys, "simulate", path, option, value)
    assert code == 2
    line = one_line(err)
    assert line.startswith("outbound-designer: error: ") and words in line


def test_too_many_samples_says_which_sample_would_do(tmp_path, capsys):
    path = scenario_file(tmp_path, "small")
    code, _, err = run(capsys, "simulate", path, "--duration", "2000", "--sample", "0.001")
    assert code == 2 and "--sample 0.002" in one_line(err)


def test_a_generator_that_never_stops_cannot_make_the_run_endless(tmp_path, capsys):
    path = scenario_file(tmp_path, "forever", stop_s=1e300)
    code, _, err = run(capsys, "simulate", path)
    assert code == 2
    line = one_line(err)
    assert "nodes[2].stop_s" in line and "31,536,000" in line


def test_export_at_outside_the_range_is_refused(tmp_path, capsys):
    code, _, err = run(capsys, "export", demo_path(), tmp_path / "x.svg", "--at", "1e300")
    assert code == 2 and "365 days" in one_line(err)
    assert not (tmp_path / "x.svg").exists()


# ================================================================================ memory

def nat_gateway(ips: int = 16, destinations: int = 50) -> dict:
    """Extra nodes and links that put vm-0 behind a NAT gateway of ``ips`` addresses and
    give it ``destinations`` more endpoints (to be linked from the generators)."""
    nodes = [{"id": "sub", "kind": "subnet", "prefix": "10.0.0.0/16"},
             {"id": "nat", "kind": "nat_gateway"}]
    nodes += [{"id": f"nip-{k}", "kind": "public_ip", "sku": "standard"} for k in range(ips)]
    nodes += [{"id": f"dest-{d}", "kind": "endpoint", "address": f"20.1.{d // 250}.{d % 250 + 1}",
               "port": 443} for d in range(destinations)]
    links = [{"from": "vm-0", "to": "sub"}, {"from": "nat", "to": "sub", "kind": "nat"}]
    links += [{"from": "nat", "to": f"nip-{k}", "kind": "nat"} for k in range(ips)]
    return {"semantics": "modern", "extra_nodes": nodes, "extra_links": links}


def with_destinations(path: Path, generators: int, destinations: int) -> Path:
    doc = json.loads(path.read_text())
    doc["links"] += [{"from": f"gen-{g}", "to": f"dest-{d}"} for g in range(generators)
                     for d in range(destinations)]
    path.write_text(json.dumps(doc))
    return path


def test_a_million_flows_a_second_is_refused_with_what_is_too_big(tmp_path, capsys):
    # the engine holds what is mapped, not every flow: through a NAT gateway of 16 IPs to
    # 51 destinations, a million flows a second each kept 65 s after FIN (M-B9) would be
    # 70,000,000 mappings at once, as many as the ports allow: 16 x 64,512 x 51 (M-B8)
    path = with_destinations(scenario_file(tmp_path, "flood", rate=1_000_000, close="fin",
                                           **nat_gateway()), 1, 50)
    code, _, err = run(capsys, "simulate", path, "--max-memory", "2G")
    assert code == 2
    line = one_line(err)
    assert "more than the memory limit of 2 GB" in line
    assert "52,641,792 live flows" in line            # the largest part, named
    assert "--max-memory" in line and "--duration" in line


def test_fifty_generators_on_one_vm_are_counted_together(tmp_path, capsys):
    path = with_destinations(scenario_file(tmp_path, "fifty", generators=50, rate=20_000,
                                           close="fin", **nat_gateway()), 50, 50)
    code, _, err = run(capsys, "simulate", path, "--max-memory", "1G")
    assert code == 2 and "52,641,792 live flows" in one_line(err)


def test_many_vms_on_default_snat_are_refused_under_a_small_limit(tmp_path, capsys):
    # the case is 10,000 VMs; 2,000 show the same and keep the test fast
    path = scenario_file(tmp_path, "many", vms=2_000, generators=0)
    code, _, err = run(capsys, "simulate", path, "--max-memory", "50M")
    assert code == 2
    line = one_line(err)
    assert "2,000 VMs" in line
    assert "--max-memory" in line


def test_raising_the_limit_lets_the_run_go(tmp_path, capsys):
    path = scenario_file(tmp_path, "flood", rate=50_000)
    assert run(capsys, "simulate", path, "--duration", "1", "--max-memory", "60M")[0] == 2
    code, out, _ = run(capsys, "simulate", path, "--duration", "1", "--max-memory", "none")
    assert code == 0 and "vm-0" in out


def test_max_memory_must_be_a_size(tmp_path, capsys):
    code, _, err = run(capsys, "simulate", scenario_file(tmp_path, "s"), "--max-memory", "lots")
    assert code == 2 and "--max-memory" in one_line(err)


def test_running_out_of_memory_anyway_says_what_was_too_big(tmp_path, capsys, monkeypatch):
    from designer.commands import simulate

    def exhausted(*args, **kwargs):
        raise MemoryError()
    monkeypatch.setattr(simulate, "_run", exhausted)
    path = scenario_file(tmp_path, "flood", rate=5_000)
    code, _, err = run(capsys, "simulate", path, "--duration", "10")
    assert code == 1
    line = one_line(err)
    assert "out of memory" in line and "the largest part is" in line and "50,000 flows" in line


# ================================================================================ --fail-on

def test_fail_on_snat_exits_1_and_names_the_vm_and_the_time(capsys):
    code, out, err = run(capsys, "simulate", demo_path(), "--duration", "120",
                         "--fail-on", "snat")
    assert code == 1
    assert "fail-on snat: web-1 ran out of SNAT ports at t=" in err
    assert "fail-on:" in out                   # and the summary says it too
    assert run(capsys, "simulate", demo_path(), "--duration", "120")[0] == 0


def test_fail_on_is_quiet_when_nothing_happens(tmp_path, capsys):
    path = scenario_file(tmp_path, "calm")
    code, out, err = run(capsys, "simulate", path, "--duration", "60", "--fail-on", "any")
    assert code == 0 and "fail-on" not in err + out


def test_fail_on_takes_a_comma_list_and_repeats(capsys):
    code, _, err = run(capsys, "simulate", demo_path(), "--duration", "120", "--json",
                       "--fail-on", "nsg,no-route", "--fail-on", "snat")
    assert code == 1 and "fail-on snat" in err
    code, _, err = run(capsys, "simulate", demo_path(), "--fail-on", "snap")
    assert code == 2 and "unknown condition 'snap'" in one_line(err)


def test_fail_on_no_route_and_error(tmp_path, capsys):
    # modern: a VM in a private subnet has no outbound path (M-B14); a Basic IP on a
    # Standard load balancer is an error finding (§1.5)
    path = scenario_file(
        tmp_path, "private", semantics="modern",
        extra_nodes=[{"id": "sub", "kind": "subnet", "prefix": "10.0.1.0/24", "private": True},
                     {"id": "lb", "kind": "load_balancer", "sku": "standard"},
                     {"id": "ip", "kind": "public_ip", "sku": "basic"}],
        extra_links=[{"from": "vm-0", "to": "sub"}, {"from": "lb", "to": "ip"}])
    code, _, err = run(capsys, "simulate", path, "--duration", "30", "--fail-on", "no-route")
    assert code == 1 and "fail-on no-route: vm-0:" in err and "no outbound path" in err
    # when: the engine's no_route event, the first such flow (a 2 flows/s generator)
    report = json.loads(run(capsys, "simulate", path, "--duration", "30", "--json")[1])
    [event] = [e for e in report["events"] if e["kind"] == "no_route"]
    assert event["vm"] == "vm-0" and f"first at t={event['t']:g} s" in err
    assert event["reason"] in err and event["t"] < 5
    code, _, err = run(capsys, "simulate", path, "--duration", "30", "--fail-on", "error")
    assert code == 1 and "PublicIPAndLBSkuDoNotMatch" in err


def test_fail_on_nsg_names_the_rule_and_the_time(tmp_path, capsys):
    path = scenario_file(
        tmp_path, "denied",
        extra_nodes=[{"id": "nsg", "kind": "nsg", "rules": [
            {"name": "no-web", "priority": 100, "direction": "outbound", "access": "deny",
             "protocol": "*", "source": "*", "source_port": "*", "destination": "*",
             "destination_port": "*"}]}],
        extra_links=[{"from": "nsg", "to": "vm-0"}])
    code, _, err = run(capsys, "simulate", path, "--duration", "30", "--fail-on", "nsg")
    assert code == 1
    assert "fail-on nsg: vm-0:" in err and "no-web" in err and "first at t=" in err


# ================================================================================ outputs

def test_out_into_an_unwritable_folder_is_a_clean_exit_2(tmp_path, capsys, monkeypatch):
    path = scenario_file(tmp_path, "small")

    def refuse(prefix="", suffix="", dir=None):
        raise PermissionError(13, "Permission denied", os.path.join(dir, prefix + "x" + suffix))
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    target = tmp_path / "report.json"
    code, _, err = run(capsys, "simulate", path, "--duration", "10", "--out", target)
    assert code == 2
    assert one_line(err) == f"outbound-designer: error: cannot write {target}: Permission denied"


def test_out_to_a_read_only_file_is_refused_before_the_run(tmp_path, capsys):
    path = scenario_file(tmp_path, "small")
    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o444)
    code, _, err = run(capsys, "simulate", path, "--out", target)
    assert code == 2 and "read-only" in one_line(err)
    assert target.read_text(encoding="utf-8") == "old"


def test_validate_speaks_like_the_other_commands(tmp_path, capsys):
    broken = tmp_path / "broken.outbound.json"
    broken.write_text('{"format": "outbound-designer", "name": "x', encoding="utf-8")
    for argv in (["validate", broken], ["simulate", broken], ["export", broken, "x.svg"]):
        code, _, err = run(capsys, *argv)
        assert code == 2
        assert one_line(err).startswith(f"outbound-designer: error: {broken}: not valid JSON")


# ================================================================================ progress

class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_and_clears_its_line():
    stream = FakeTerminal()
    progress = Progress("simulating x", stream=stream, delay_s=0, every_s=0)
    progress(150.0, 600.0)
    progress.finish()
    text = stream.getvalue()
    assert "simulating x: 150 s of 600 s simulated (25%)" in text
    assert text.startswith("\r") and text.endswith("\r\x1b[K")


def test_progress_is_silent_in_a_pipe_unless_verbose():
    quiet = io.StringIO()
    Progress("x", stream=quiet, delay_s=0, every_s=0)(1.0, 2.0)
    assert quiet.getvalue() == ""
    log = io.StringIO()
    Progress("x", stream=log, verbose=True, delay_s=0, every_s=0)(1.0, 2.0)
    assert log.getvalue().endswith("\n") and "\r" not in log.getvalue()


def test_simulate_and_export_at_run_in_the_same_slices(tmp_path, capsys, monkeypatch):
    # one way to run in slices (engine.run_sliced): progress and Ctrl+C between slices sized
    # by wall time, for simulate and export --at alike
    from designer.sim import engine as engine_module
    sliced = []
    original = engine_module.SliceSizer.run

    def counting(self, engine, until):
        sliced.append(until)
        return original(self, engine, until)
    monkeypatch.setattr(engine_module.SliceSizer, "run", counting)
    assert run(capsys, "simulate", demo_path(), "--duration", "120")[0] == 0
    assert sliced and sliced[-1] == 120.0
    sliced.clear()
    assert run(capsys, "export", demo_path(), tmp_path / "x.svg", "--at", "30")[0] == 0
    assert sliced and sliced[-1] == 30.0


def test_ctrl_c_stops_a_long_run_with_130_and_writes_nothing(tmp_path):
    # a NAT gateway run takes the event loop, sliced: Ctrl+C lands between two slices
    path = scenario_file(
        tmp_path, "nat", vms=2, semantics="modern", rate=2000, close="rst",
        extra_nodes=[{"id": "sub", "kind": "subnet", "prefix": "10.0.1.0/24"},
                     {"id": "nat", "kind": "nat_gateway"},
                     {"id": "nip", "kind": "public_ip", "sku": "standard"}],
        extra_links=[{"from": "vm-0", "to": "sub"}, {"from": "vm-1", "to": "sub"},
                     {"from": "nat", "to": "sub", "kind": "nat"},
                     {"from": "nat", "to": "nip", "kind": "nat"}])
    report = tmp_path / "report.json"
    process = subprocess.Popen([sys.executable, "-m", "designer", "simulate", str(path),
                                "--duration", "100000", "--out", str(report), "-v"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        deadline = time.monotonic() + 60
        line = ""
        while "simulating" not in line and time.monotonic() < deadline:
            line = process.stderr.readline()          # the run has started: progress shows
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("outbound-designer: interrupted at ")
    assert not report.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
