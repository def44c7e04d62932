"""Each finding once in the report (issue 9.4): a rule that validation and the engine both
check is listed once, in validation's words; docs/validation.md and docs/engine.md name the
same code for a pool beyond the table."""
from __future__ import annotations

from pathlib import Path

from designer.model import LbRule, Link, OutboundRule, Scenario, make_component
from designer.model.validation import EXCEEDS_AVAILABLE, validate
from designer.sim.report import simulate

DOCS = Path(__file__).resolve().parents[2] / "docs"


def codes(report: dict) -> list[tuple[str, str | None]]:
    return [(f["code"], f.get("node")) for f in report["findings"]]


def outbound_rule_too_big(rules: int = 1) -> Scenario:
    """M-B5: 40,000 ports to each of 2 instances from one frontend IP (64,000 ports)."""
    s = Scenario(name="t", semantics="modern")
    add = s.topology.add_node
    add(make_component("vm", "vm-1"))
    add(make_component("vm", "vm-2"))
    add(make_component("public_ip", "ip", sku="standard", address="52.0.0.1"))
    add(make_component("public_ip", "ip2", sku="standard", address="52.0.0.2"))
    add(make_component("load_balancer", "lb", sku="standard", outbound_rules=tuple(
        OutboundRule(name=f"out-{i}", frontends=(("ip", "ip2")[i],), protocol=("tcp", "udp")[i],
                     allocated_ports=40_000) for i in range(rules))))
    for link in (Link("lb", "ip", "frontend"), Link("lb", "ip2", "frontend"),
                 Link("lb", "vm-1", "backend"), Link("lb", "vm-2", "backend")):
        s.topology.connect(link)
    return s


def test_exceeding_the_available_ports_is_listed_once():
    report = simulate(outbound_rule_too_big(), duration=10)
    assert codes(report).count((EXCEEDS_AVAILABLE, "lb")) == 1
    listed = next(f for f in report["findings"] if f["code"] == EXCEEDS_AVAILABLE)
    assert listed["rule"] == "M-B5"           # validation's finding, with its rule


def test_two_rules_that_each_exceed_stay_two_findings():
    report = simulate(outbound_rule_too_big(rules=2), duration=10)
    assert codes(report).count((EXCEEDS_AVAILABLE, "lb")) == 2


def big_pool(n: int) -> Scenario:
    s = Scenario(name="pool")
    s.topology.add_node(make_component("public_ip", "ip", address="52.0.0.1"))
    s.topology.add_node(make_component("load_balancer", "lb",
                                       rules=(LbRule(name="r", frontend="ip"),)))
    s.topology.connect(Link("lb", "ip", "frontend"))
    for i in range(n):
        s.topology.add_node(make_component("vm", f"vm-{i}", availability_set="web"))
        s.topology.connect(Link("lb", f"vm-{i}", "backend"))
    return s


def test_a_pool_of_1001_gets_one_finding_and_the_docs_agree():
    report = simulate(big_pool(1001), duration=1)
    pool_codes = [c for c, node in codes(report) if node == "lb" and c.startswith("pool")]
    assert pool_codes == ["pool-beyond-table"]
    finding = next(f for f in report["findings"] if f["code"] == "pool-beyond-table")
    assert finding["severity"] == "warning"
    assert [f.code for f in validate(big_pool(1000)) if f.code.startswith("pool")] == []
    assert "### `pool-beyond-table`\n**warning**" in (DOCS / "validation.md").read_text()
    assert "`pool-beyond-table`" in (DOCS / "engine.md").read_text()
    assert "pool-too-large" not in (DOCS / "validation.md").read_text()
