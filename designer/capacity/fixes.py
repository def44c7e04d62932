"""The fix comparison: "what do I change, and how much is enough?"

For the VMs whose flows fail for want of SNAT ports, build each documented mitigation
(section 7.3 of azure-outbound-rules.md) as an edited copy of the scenario, find its smallest
sufficient setting by bisection (started at the analytic estimate), then how much more load it
takes (bisection on the failing VMs' generator rates), and put it all in one document — the
``outbound-designer-fixes`` JSON of scenario-format.md section 4.

Kinds, in Microsoft's order: ``nat_gateway`` (1, 2, 4 ... public IPs on the VMs' subnets),
``outbound_rule_ports`` (the smallest multiple of 8 per instance; frontend IPs are added when
the rule's budget runs out), ``frontend_ips`` (more IPs on the outbound rule, keeping its
allocation), ``instance_ip`` and ``connection_pool``.  Classic semantics has the 2017 options
of the seed document only: an instance-level public IP and connection reuse / pooling
(its third, less aggressive retries, is named but not modelled: generators never retry).  A
kind that does not apply, or whose edit Azure would refuse (a new validation error), is listed
under ``not_applicable`` with the reason.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any, Callable

from ..model import Scenario, dumps, loads, to_document
from ..model.validation import validate
from ..sim import ports as P
from . import edits, estimate
from .execute import Driver, Hint, Search
from .runs import failing_vms, names
from .search import HEADROOM_MAX_FACTOR, Outcome, Settings, headroom, probe, smallest

#: runs a comparison takes per seed, about (the demo's: 121, bisections and headroom
#: included): what ``execute.expected_cpu_s`` is given to choose where to run them
TYPICAL_RUNS_PER_SEED = 120
FIXES_FORMAT = "outbound-designer-fixes"
FIXES_VERSION = 1
KINDS = ("original", "nat_gateway", "outbound_rule_ports", "frontend_ips", "instance_ip",
         "connection_pool")
CLASSIC_KINDS = ("instance_ip", "connection_pool")
#: the third 2017 option: named in the table, not simulated
RETRY_KIND = "retry_backoff"
#: Microsoft's order of mitigations: breaks ties between fixes needing as many public IPs
PREFERENCE = ("nat_gateway", "outbound_rule_ports", "frontend_ips", "instance_ip",
              "connection_pool")


class NotApplicable(Exception):
    """This kind of fix does not apply here; the message says why."""


@dataclass
class Plan:
    """One kind of fix: how to build it for a value and what it means in Azure."""
    kind: str
    values: Any                          # ascending candidates (None: one fixed edit)
    build: Callable[[Any], Scenario]
    setting: Callable[[Any], dict]
    azure_change: Callable[[Any], str]
    public_ips: Callable[[Any], int]
    guess_index: int | None = None
    headroom_note: str | None = None     # set: headroom is not simulated (says why)


@dataclass
class Comparison:
    scenario: Scenario
    settings: Settings
    failing: list[str]
    generators: list[str]                # generators whose flows come from failing VMs
    original: Outcome
    paths: dict[str, dict[str, Any]]     # failing VM -> its report entry (first seed)
    not_applicable: list[dict[str, str]] = field(default_factory=list)
    with_headroom: bool = True


# ================================================================================ plans

def _subnets(c: Comparison) -> list[str]:
    topo = c.scenario.topology
    return sorted({topo.subnet_of(vm) or "(implied)" for vm in c.failing})


def nat_plan(c: Comparison) -> Plan:
    s = c.scenario
    if s.semantics == "classic":
        raise NotApplicable("classic semantics (2017) has no NAT gateway (M-A1)")
    subnets = _subnets(c)
    existing = {sub: s.topology.nat_gateway_of_subnet(sub) for sub in subnets
                if sub != "(implied)"}

    def build(n: int) -> Scenario:
        out = s
        done: set[str] = set()
        for vm in c.failing:
            sub = out.topology.subnet_of(vm)
            if sub in done:
                continue
            out, sub = edits.attach_nat_gateway(out, vm, n)
            done.add(sub)
        return out

    def where(n: int) -> dict:
        built = build(n)
        names = sorted({built.topology.subnet_of(vm) for vm in c.failing})
        return {"subnet": names[0]} if len(names) == 1 else {"subnets": names}

    def change(n: int) -> str:
        sub = where(n)
        subs = sub.get("subnet") or ", ".join(sub["subnets"])
        ips = f"{n} Standard public IP{'s' if n > 1 else ''}"
        if any(existing.values()):
            return f"give the NAT gateway of subnet {subs} {ips}"
        return f"attach a NAT gateway with {ips} to subnet {subs}"

    def new_ips(n: int) -> int:
        have = sum(len(s.topology.nat_public_ips(g)) for g in existing.values() if g)
        return max(0, n * len(subnets) - have)

    # analytic guess: the busiest destination of the gateway's flows vs 50,000 per IP (M-B8)
    built = build(1)
    loads_by_key: dict[tuple, float] = {}
    for vm in built.topology.nodes("vm"):
        if built.topology.subnet_of(vm.id) in {built.topology.subnet_of(v) for v in c.failing}:
            for proto in ("tcp", "udp"):
                for key, load in estimate.key_loads(built, vm.id, proto, "nat_gateway",
                                                    c.settings.duration or 600.0).items():
                    loads_by_key[key] = loads_by_key.get(key, 0.0) + load
    need = estimate.ports_needed(loads_by_key)
    guess = max(1, math.ceil(need / min(P.NAT_MAX_PER_DESTINATION, P.NAT_PORTS_PER_IP)))
    values = list(range(1, P.NAT_MAX_IPS + 1))
    return Plan("nat_gateway", values, build,
                lambda n: {**where(n), "public_ips": n}, change, new_ips,
                guess_index=min(guess, P.NAT_MAX_IPS) - 1)


def _standard_lbs(c: Comparison) -> list[str]:
    """The load balancers that give the failing VMs their SNAT ports."""
    s = c.scenario
    if s.semantics == "classic":
        raise NotApplicable("classic semantics (2017) has no outbound rules: the pool-size "
                            "algorithm cannot be configured (M-A1, M-A5)")
    lbs = set()
    for vm in c.failing:
        kinds = {p.get("outbound") for p in (c.paths[vm].get("protocols") or {}).values()}
        if "load_balancer" not in kinds:
            raise NotApplicable(f"{vm} does not leave through a load balancer "
                                f"({c.paths[vm].get('outbound')}); an outbound rule would need "
                                f"a public Standard load balancer with it in the pool")
        candidates = [lb for lb in s.topology.load_balancers_of(vm)
                      if s.topology.node(lb).type == "public"]
        basic = [lb for lb in candidates if s.topology.node(lb).sku != "standard"]
        if basic:
            raise NotApplicable(f"{basic[0]} is a Basic load balancer: outbound rules and "
                                f"their frontend IPs are Standard only (M-B5); upgrade it and "
                                f"its public IPs to Standard first")
        lbs.update(candidates[:1])
    return sorted(lbs)


def _failing_protocols(c: Comparison, vm: str) -> set[str]:
    report = c.original.reports[0]["vms"][vm]
    protos = {p for p, e in (report.get("protocols") or {}).items()
              if e.get("outbound") == "load_balancer" and e.get("snat_ports_allocated")}
    return protos or {"tcp"}


def outbound_ports_plan(c: Comparison) -> Plan:
    s = c.scenario
    lbs = _standard_lbs(c)
    protocols = set().union(*(_failing_protocols(c, vm) for vm in c.failing))
    info: dict[int, dict] = {}

    def build(ports: int) -> Scenario:
        out = s
        merged = {"frontends": [], "new_ips": [], "disabled_snat": [], "rules": []}
        for lb in lbs:
            out, what = edits.set_outbound_rule(out, lb, ports=ports, protocols=protocols)
            for key in ("frontends", "new_ips", "disabled_snat"):
                merged[key] += what[key]
            merged["rules"].append((lb, what["rule"], what["created"]))
        info[ports] = merged
        return out

    def change(ports: int) -> str:
        build(ports)
        m = info[ports]
        parts = []
        for lb, rule, created in m["rules"]:
            verb = "add outbound rule" if created else "set outbound rule"
            parts.append(f"{verb} {rule} on {lb} to {ports:,} ports per instance")
        text = "; ".join(parts) + f" (frontends {', '.join(m['frontends'])}"
        if m["new_ips"]:
            text += f", {len(m['new_ips'])} new Standard public IP(s)"
        text += ")"
        if m["disabled_snat"]:
            text += f"; set disable_outbound_snat on rule(s) {', '.join(m['disabled_snat'])}"
        return text

    current = max(c.paths[vm].get("snat_ports_allocated", 0) for vm in c.failing)
    first = edits.round_up_ports(current + 1)
    values = range(first, edits.MAX_PORTS_PER_INSTANCE + 1, edits.PORT_MULTIPLE)
    need = max(estimate.ports_needed(estimate.key_loads(s, vm, proto, "load_balancer",
                                                        c.settings.duration or 600.0))
               for vm in c.failing for proto in ("tcp", "udp"))
    guess = (edits.round_up_ports(need) - first) // edits.PORT_MULTIPLE
    return Plan("outbound_rule_ports", values, build,
                lambda p: {"load_balancer": lbs[0] if len(lbs) == 1 else lbs,
                           "allocated_ports": p,
                           "frontend_ips": (build(p), len(info[p]["frontends"]))[1]},
                change, lambda p: (build(p), len(info[p]["new_ips"]))[1],
                guess_index=max(0, min(guess, len(values) - 1)))


def frontend_plan(c: Comparison) -> Plan:
    s = c.scenario
    if s.semantics == "classic":
        raise NotApplicable("a Basic load balancer uses one of its frontends for outbound, "
                            "picked by Azure (M-A4): more frontends add no ports")
    lbs = _standard_lbs(c)
    topo = s.topology
    # adding IPs helps only below the 1,024 cap of the default table (M-B4) or when the
    # rule's explicit allocation does not fit its IPs (M-B5)
    useful = 0
    for lb_id in lbs:
        lb = topo.node(lb_id)
        pool = len(topo.backend_pool(lb_id))
        rule = lb.outbound_rules[0] if lb.outbound_rules else None
        have = len(rule.frontends) if rule else 1
        if rule is None or rule.allocated_ports == 0:
            table = P.tier_ports(pool)
            useful = max(useful, math.ceil(P.MODERN_DEFAULT_CAP / table) - have)
        else:
            cap = sum(edits.frontend_capacity(s, lb_id, f) for f in rule.frontends)
            short = rule.allocated_ports * pool - cap
            useful = max(useful, math.ceil(short / edits.LB_PORTS_PER_FRONTEND))
    if useful <= 0:
        raise NotApplicable("more frontend IPs give these VMs no more ports: the default "
                            "allocation is capped at 1,024 per instance (M-B4) and an explicit "
                            "one does not grow with IPs (M-B5) — see outbound_rule_ports")

    def build(n: int) -> Scenario:
        out = s
        for lb_id in lbs:
            out, _ = edits.set_outbound_rule(out, lb_id, extra_frontends=n, fit_budget=False,
                                             protocols=_failing_protocols(c, c.failing[0]))
        return out

    def change(n: int) -> str:
        return (f"add {n} Standard public IP{'s' if n > 1 else ''} as frontend(s) of the "
                f"outbound rule of {', '.join(lbs)}, keeping its allocation")
    return Plan("frontend_ips", list(range(1, useful + 1)), build,
                lambda n: {"load_balancer": lbs[0] if len(lbs) == 1 else lbs,
                           "added_frontend_ips": n},
                change, lambda n: n * len(lbs))


def instance_ip_plan(c: Comparison) -> Plan:
    vms = list(c.failing)

    def build(_value) -> Scenario:
        return edits.add_instance_ips(c.scenario, vms)[0]
    return Plan("instance_ip", None, build,
                lambda _v: {"vm": vms[0]} if len(vms) == 1 else {"vms": vms},
                lambda _v: (f"give {names(vms)} an instance-level public IP "
                            f"(1 public IP per VM; all its ports are the VM's, C10)"),
                lambda _v: len(vms),
                headroom_note="an instance public IP is not translated by SNAT and never "
                              "runs out of ports (C10)")


def pool_plan(c: Comparison) -> Plan:
    """A connection pool per generator, sized to carry its concurrent requests: a pooled
    connection carries one request at a time, so N is the p99 of the requests in flight per
    (VM, destination) (Poisson, Little's law).  The engine does not queue requests, so a
    smaller pool would "hold" without being able to carry the load."""
    topo = c.scenario.topology
    sizes: dict[str, int] = {}
    for gen_id in c.generators:
        gen = topo.node(gen_id)
        if gen.pool_size:
            continue
        dests = max(1, len(topo.generator_destinations(gen_id)))
        sizes[gen_id] = max(1, estimate.poisson_quantile(gen.rate_per_s / dests
                                                         * gen.hold.mean_s))
    if not sizes:
        raise NotApplicable("the generators of the failing VMs already reuse connections")

    def build(_value) -> Scenario:
        return edits.set_pool_size(c.scenario, sizes)

    def change(_value) -> str:
        return "reuse connections: " + "; ".join(
            f"a pool of {n} connections per VM and destination in {g}'s client (HTTP "
            f"keep-alive)" for g, n in sizes.items())
    setting = ({"generator": next(iter(sizes)), "pool_size": next(iter(sizes.values()))}
               if len(sizes) == 1 else {"generators": dict(sizes)})
    return Plan("connection_pool", None, build, lambda _v: setting, change, lambda _v: 0,
                headroom_note="the engine never fails a pooled request; above the rate the "
                              "pool was sized for, requests would queue (not modelled)")


PLANS: dict[str, Callable[[Comparison], Plan]] = {
    "nat_gateway": nat_plan, "outbound_rule_ports": outbound_ports_plan,
    "frontend_ips": frontend_plan, "instance_ip": instance_ip_plan,
    "connection_pool": pool_plan,
}


# ================================================================================ searches

def _errors(scenario: Scenario) -> set[tuple]:
    return {(f.code, f.node_id, f.message) for f in validate(scenario) if f.severity == "error"}


def _new_error(c: Comparison, scenario: Scenario, baseline: set[tuple]) -> str | None:
    new = sorted(_errors(scenario) - baseline)
    return new[0][2] if new else None


def variant_search(c: Comparison, plan: Plan, hint: Hint, baseline: set[tuple]) -> Search:
    """Find the plan's smallest holding value, then its headroom; returns the variant."""
    if plan.values is None:
        value, scenario = None, plan.build(None)
        problem = _new_error(c, scenario, baseline)
        if problem:
            return {"kind": plan.kind, "reason": f"Azure would refuse it: {problem}"}
        outcome = yield from probe(c.settings, scenario, hint)
        holds = outcome.holds
    else:
        problem = _new_error(c, plan.build(plan.values[0]), baseline)
        if problem:
            return {"kind": plan.kind, "reason": f"Azure would refuse it: {problem}"}
        index, outcomes = yield from smallest(c.settings, plan.values, plan.build, hint,
                                              plan.guess_index)
        holds = index is not None
        if not holds:
            index = len(plan.values) - 1
        value = plan.values[index]
        outcome = outcomes[index]
        scenario = plan.build(value)
    rate = top = None
    note = plan.headroom_note
    if holds and note is None and not c.with_headroom:
        note = "not searched (--no-headroom)"
    elif holds and note is None:
        factor = yield from headroom(c.settings, lambda f: edits.scale_rates(
            scenario, c.generators, f), hint, _headroom_guess(c, scenario, outcome))
        base = c.scenario.topology.node(c.generators[0]).rate_per_s
        if factor is None:
            top = round(base * HEADROOM_MAX_FACTOR, 2)
            note = (f"still holds at {top:g} flows/s, {HEADROOM_MAX_FACTOR:g}x today's rate (the "
                    f"search's limit)")
        else:
            rate = round(base * factor, 2)
    entry = variant_entry(c, plan.kind, plan.setting(value), outcome, scenario, holds,
                          plan.azure_change(value), plan.public_ips(value), rate, note)
    if top is not None:
        entry["headroom_max_rate"] = top
    return entry


def _headroom_guess(c: Comparison, scenario: Scenario, outcome: Outcome) -> float | None:
    """The factor at which the analytic need reaches the variant's allocation."""
    report = outcome.reports[0]
    best = None
    for vm in c.failing:
        entry = report["vms"][vm]
        for proto, path in (entry.get("protocols") or {}).items():
            factor = estimate.rate_for_ports(scenario, vm, proto, path.get("outbound"),
                                             float(report["duration_s"]),
                                             path.get("snat_ports_allocated", 0))
            if factor is not None and (best is None or factor < best):
                best = factor
    return best


def _stats(values: list[int]) -> dict[str, float | int]:
    mean = statistics.fmean(values) if values else 0
    mean = round(mean, 1)
    return {"mean": int(mean) if mean == int(mean) else mean,
            "min": min(values, default=0), "max": max(values, default=0)}


def variant_entry(c: Comparison, kind: str, setting: dict, outcome: Outcome,
                  scenario: Scenario, holds: bool, change: str, public_ips: int,
                  headroom_rate: float | None, note: str | None) -> dict[str, Any]:
    peak, allocated, ratio = 0, 0, -1.0
    for report in outcome.reports:
        for vm in c.failing:
            e = report["vms"].get(vm, {})
            p, a = e.get("snat_ports_used_peak", 0), e.get("snat_ports_allocated", 0)
            r = p / a if a else float(p > 0)
            if r > ratio or (r == ratio and p > peak):
                peak, allocated, ratio = p, a, r
    entry = {"kind": kind, "setting": setting, "failed_snat": _stats(outcome.failed()),
             "peak_used": peak, "allocated": allocated, "headroom_rate": headroom_rate,
             "public_ips": public_ips, "azure_change": change, "holds": holds,
             "scenario": to_document(scenario)}
    if note:
        entry["headroom_note"] = note
    return entry


# ================================================================================ display

def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:,}" if isinstance(value, int) else str(value)


def headroom_text(v: dict) -> str:
    """The headroom cell: the rate where the fix breaks, or why there is none."""
    if v.get("headroom_rate") is not None:
        return _fmt(v["headroom_rate"])
    if v["kind"] == "original" or not v.get("holds"):
        return "—"
    if v.get("headroom_max_rate") is not None:
        return f"> {_fmt(v['headroom_max_rate'])}"
    return {"instance_ip": "no limit (no SNAT)",
            "connection_pool": "n/a (pooled)"}.get(v["kind"], "—")


def ports_text(v: dict) -> str:
    if v["kind"] == "instance_ip" and not v.get("allocated"):
        return "no SNAT"
    return f"{_fmt(v['peak_used'])} / {_fmt(v['allocated'])}"


# ================================================================================ compare

def compare(scenario: Scenario, settings: Settings, driver: Driver,
            kinds: tuple[str, ...] | None = None, with_headroom: bool = True) -> dict[str, Any]:
    """The whole comparison as the ``outbound-designer-fixes`` document (``kinds``: only
    these; ``with_headroom=False`` skips the rate bisection)."""
    # the scenario as a worker sees it (file text): variants are built from the same model
    scenario = loads(dumps(scenario), source=settings.source or scenario.name)
    hint = Hint()
    original = driver.run([(probe(settings, scenario, hint), hint)])[0]
    failing = failing_vms(original.reports)
    doc: dict[str, Any] = {
        "format": FIXES_FORMAT, "version": FIXES_VERSION,
        "scenario": settings.source or scenario.name,
        "semantics": scenario.semantics,
        "duration_s": original.reports[0]["duration_s"], "seeds": list(settings.seeds),
        "failing_vms": failing, "variants": [], "not_applicable": []}
    topo = scenario.topology
    generators = sorted(g.id for g in topo.nodes("traffic_generator")
                        if not g.muted and g.direction == "outbound"
                        and set(topo.generator_sources(g.id)) & set(failing))
    c = Comparison(scenario, settings, failing, generators, original,
                   {vm: original.reports[0]["vms"][vm] for vm in failing},
                   with_headroom=with_headroom)
    doc["variants"].append(variant_entry(c, "original", {}, original, scenario,
                                         original.holds, "none", 0, None, None))
    if not failing:
        doc["smallest_holding"] = None
        return doc
    wanted = kinds or (CLASSIC_KINDS if scenario.semantics == "classic" else KINDS[1:])
    searches = []
    baseline = _errors(scenario)
    for kind in KINDS[1:]:
        if kind not in wanted:
            if scenario.semantics == "classic" and kinds is None:
                try:
                    PLANS[kind](c)
                except NotApplicable as exc:
                    doc["not_applicable"].append({"kind": kind, "reason": str(exc)})
            continue
        try:
            plan = PLANS[kind](c)
        except NotApplicable as exc:
            doc["not_applicable"].append({"kind": kind, "reason": str(exc)})
            continue
        h = Hint()
        searches.append((variant_search(c, plan, h, baseline), h))
    if scenario.semantics == "classic":
        doc["not_applicable"].append({
            "kind": RETRY_KIND, "reason": "the 2017 option 'use less aggressive retry logic' "
                                          "is not modelled: generators never retry a failed "
                                          "flow"})
    for result in driver.run(searches):
        if "reason" in result and "scenario" not in result:
            doc["not_applicable"].append(result)
        else:
            doc["variants"].append(result)
    order = {k: i for i, k in enumerate(KINDS)}
    doc["variants"].sort(key=lambda v: order.get(v["kind"], len(order)))
    doc["not_applicable"].sort(key=lambda v: order.get(v["kind"], len(order)))
    holding = [v for v in doc["variants"] if v["kind"] != "original" and v["holds"]]
    holding.sort(key=lambda v: (v["public_ips"], PREFERENCE.index(v["kind"])))
    doc["smallest_holding"] = holding[0]["kind"] if holding else None
    return doc
