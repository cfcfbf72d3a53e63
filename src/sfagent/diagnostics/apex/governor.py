"""Governor-limit risk per method and trigger: what runs in loops and when a transaction fails."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from tree_sitter import Node

from sfagent.diagnostics.apex.operations import (
    ASYNC_KINDS,
    LIMITS,
    TRIGGER_CHUNK_SIZE,
    GovernorLimit,
    LimitedOperation,
    compact,
    enclosing_unit,
    limited_operations,
    loop_chain,
    loop_description,
    loop_iterable,
    loop_source,
)
from sfagent.diagnostics.apex.source import LOOP_TYPES, ApexSource, enclosing_loop

_RISK_ORDER = ("none", "low", "medium", "high", "critical")
_NOUNS = {"trigger": "record", "query": "record", "collection": "item", "unbounded": "iteration"}


@dataclass(frozen=True, slots=True)
class OperationCounts:
    """How many limit-consuming operations of each kind a method contains."""

    soql: int = 0
    sosl: int = 0
    dml: int = 0
    callouts: int = 0
    async_jobs: int = 0
    emails: int = 0

    @classmethod
    def of(cls, operations: list[LimitedOperation]) -> OperationCounts:
        """Count operations by kind (queueable, future, batch and schedule are async jobs)."""
        kinds = [op.kind for op in operations]
        return cls(
            soql=kinds.count("soql"),
            sosl=kinds.count("sosl"),
            dml=kinds.count("dml"),
            callouts=kinds.count("callout"),
            async_jobs=sum(kind in ASYNC_KINDS for kind in kinds),
            emails=kinds.count("email"),
        )


@dataclass(frozen=True, slots=True)
class LoopExposure:
    """A loop that repeats limit-consuming operations, and the iteration at which it fails."""

    line: int
    loop: str
    driven_by: str  # trigger, query, collection, unbounded
    per_iteration: dict[str, int]
    nested_operations: int  # in inner loops whose size is unknown: they multiply further
    limiting: str | None  # the LIMITS key that breaks first
    fails_at: dict[str, int]  # per LIMITS key, in the method's own (sync or async) context
    fails_at_sync: int | None
    fails_at_async: int | None
    fails_at_bulk_api: int | None
    fails_on_full_trigger_chunk: bool | None
    note: str


@dataclass(frozen=True, slots=True)
class UnitRisk:
    """Governor-limit exposure of one method, constructor or trigger."""

    name: str
    kind: str
    line: int
    asynchronous: bool
    counts: OperationCounts
    in_loops: OperationCounts
    in_nested_loops: OperationCounts
    loops: tuple[LoopExposure, ...]
    cpu_notes: tuple[str, ...]
    risk: str  # none, low, medium, high, critical
    summary: str


@dataclass(frozen=True, slots=True)
class GovernorRisk:
    """Governor-limit risk of a whole Apex source, per method and trigger."""

    units: tuple[UnitRisk, ...]
    summary: str
    limits: dict[str, GovernorLimit] = field(default_factory=lambda: dict(LIMITS))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def estimate_governor_risk(source: ApexSource) -> GovernorRisk:
    """Count limit-consuming operations per method/trigger and say when loops break limits."""
    operations: dict[int, list[LimitedOperation]] = defaultdict(list)
    units: dict[int, Node] = {}
    for operation in limited_operations(source):
        unit = enclosing_unit(operation.node)
        if unit is not None:
            units[unit.id] = unit
            operations[unit.id].append(operation)
    nested = _nested_loop_pairs(source)
    for unit_id, (unit, _) in nested.items():
        units.setdefault(unit_id, unit)
    risks = [
        _unit_risk(source, unit, operations.get(key, []), nested.get(key, (unit, []))[1])
        for key, unit in sorted(units.items(), key=lambda item: item[1].start_byte)
    ]
    return GovernorRisk(units=tuple(risks), summary=_overall_summary(risks))


def _nested_loop_pairs(source: ApexSource) -> dict[int, tuple[Node, list[tuple[Node, Node]]]]:
    pairs: dict[int, tuple[Node, list[tuple[Node, Node]]]] = {}
    for loop_type in LOOP_TYPES:
        for inner in source.nodes(loop_type):
            outer = enclosing_loop(inner)
            unit = enclosing_unit(inner)
            if outer is not None and unit is not None:
                pairs.setdefault(unit.id, (unit, []))[1].append((outer, inner))
    return pairs


def _unit_risk(
    source: ApexSource,
    unit: Node,
    operations: list[LimitedOperation],
    nested_loops: list[tuple[Node, Node]],
) -> UnitRisk:
    chains = {op.node.id: loop_chain(op.node) for op in operations}
    asynchronous = _runs_async(source, unit)
    exposures = _exposures(source, unit, operations, chains, asynchronous)
    cpu_notes = tuple(_cpu_note(source, unit, outer, inner) for outer, inner in nested_loops)
    cpu_notes = tuple(note for note in cpu_notes if note)
    risk = _risk(operations, exposures, cpu_notes)
    return UnitRisk(
        name=_unit_name(source, unit),
        kind=unit.type.removesuffix("_declaration"),
        line=unit.start_point[0] + 1,
        asynchronous=asynchronous,
        counts=OperationCounts.of(operations),
        in_loops=OperationCounts.of([op for op in operations if chains[op.node.id]]),
        in_nested_loops=OperationCounts.of([op for op in operations if chains[op.node.id][1:]]),
        loops=exposures,
        cpu_notes=cpu_notes,
        risk=risk,
        summary=_unit_summary(exposures, cpu_notes, operations, asynchronous),
    )


def _exposures(
    source: ApexSource,
    unit: Node,
    operations: list[LimitedOperation],
    chains: dict[int, list[Node]],
    asynchronous: bool,
) -> tuple[LoopExposure, ...]:
    loops: dict[int, Node] = {}
    for op in operations:
        for loop in chains[op.node.id]:
            loops.setdefault(loop.id, loop)
    outside: dict[str, int] = defaultdict(int)
    for op in operations:
        if not chains[op.node.id] and op.limit_key is not None:
            outside[op.limit_key] += 1
    ordered = sorted(loops.values(), key=lambda loop: loop.start_byte)
    return tuple(
        _exposure(source, unit, loop, operations, chains, outside, asynchronous) for loop in ordered
    )


def _exposure(
    source: ApexSource,
    unit: Node,
    loop: Node,
    operations: list[LimitedOperation],
    chains: dict[int, list[Node]],
    outside: dict[str, int],
    asynchronous: bool,
) -> LoopExposure:
    driven_by = loop_source(source, loop, unit)
    key = _iteration_key(source, loop)
    per_iteration: dict[str, int] = defaultdict(int)
    powers: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    unknown = 0
    for op in operations:
        chain = chains[op.node.id]
        if loop not in chain:
            continue
        inner = chain[: chain.index(loop) + 1]
        if inner[0] == loop:
            per_iteration[op.kind] += 1
        if any(other != loop and _iteration_key(source, other) != key for other in inner):
            unknown += 1
        elif op.limit_key is not None:
            powers[op.limit_key][len(inner)] += 1
    fails = {
        limit: {
            mode: _first_failure(terms, outside.get(limit, 0), _limit_value(limit, mode))
            for mode in ("sync", "async", "bulk")
        }
        for limit, terms in powers.items()
    }
    mode = "async" if asynchronous else "sync"
    limiting = min(fails, key=lambda limit: fails[limit][mode], default=None)
    chosen = fails[limiting] if limiting is not None else {}
    full_chunk = None
    if driven_by == "trigger" and limiting is not None:
        full_chunk = chosen[mode] <= TRIGGER_CHUNK_SIZE
    exposure = LoopExposure(
        line=loop.start_point[0] + 1,
        loop=loop_description(source, loop),
        driven_by=driven_by,
        per_iteration=dict(per_iteration),
        nested_operations=unknown,
        limiting=limiting,
        fails_at={limit: values[mode] for limit, values in sorted(fails.items())},
        fails_at_sync=chosen.get("sync"),
        fails_at_async=chosen.get("async"),
        fails_at_bulk_api=chosen.get("bulk"),
        fails_on_full_trigger_chunk=full_chunk,
        note="",
    )
    return _with_note(exposure, powers, outside, asynchronous)


def _iteration_key(source: ApexSource, loop: Node) -> str:
    iterable = loop_iterable(loop)
    if iterable is not None:
        return compact(source.text_of(iterable))
    return f"loop:{loop.id}"  # other loops never share an iteration count


def _limit_value(limit: str, mode: str) -> int:
    governor = LIMITS[limit]
    if mode == "bulk":
        return max(governor.synchronous, governor.asynchronous)
    return governor.value(asynchronous=mode == "async")


def _first_failure(terms: dict[int, int], baseline: int, limit: int) -> int:
    """Smallest iteration count n for which baseline + sum(c * n**k) exceeds the limit."""
    low, high = 1, max(limit + 1, 1)  # every term is at least n, so n = limit + 1 exceeds
    while low < high:
        middle = (low + high) // 2
        used = baseline + sum(count * middle**power for power, count in terms.items())
        low, high = (middle + 1, high) if used <= limit else (low, middle)
    return low


def _with_note(
    exposure: LoopExposure,
    powers: dict[str, dict[int, int]],
    outside: dict[str, int],
    asynchronous: bool,
) -> LoopExposure:
    parts: list[str] = []
    noun = _NOUNS[exposure.driven_by]
    if exposure.limiting is not None:
        parts.append(_failure_sentence(exposure, powers, outside, asynchronous, noun))
    if exposure.nested_operations:
        parts.append(
            f"{exposure.nested_operations} more operation(s) sit in inner loops and run once "
            "per outer x inner iteration, so the real failure point is lower"
        )
    if not parts:
        parts.append("repeats operations with org-wide caps (batch jobs, schedules, approvals)")
    return replace(exposure, note="; ".join(parts) + ".")


def _failure_sentence(
    exposure: LoopExposure,
    powers: dict[str, dict[int, int]],
    outside: dict[str, int],
    asynchronous: bool,
    noun: str,
) -> str:
    assert exposure.limiting is not None
    usage = []
    for key, terms in powers.items():
        limit = LIMITS[key]
        if terms.get(1):
            usage.append(limit.count(terms[1]))
        if any(power > 1 for power in terms):
            usage.append(f"{limit.many} in nested loops over the same list (n x n)")
    limit = LIMITS[exposure.limiting]
    context = "an asynchronous" if asynchronous else "a synchronous"
    sentence = (
        f"per {noun}: {', '.join(usage)}, so {context} transaction fails at {noun} "
        f"{exposure.fails_at[exposure.limiting]} ({limit.count(limit.value(asynchronous))} allowed"
    )
    before = outside.get(exposure.limiting, 0)
    sentence += f", {before} already used outside loops)" if before else ")"
    for key, count in sorted(exposure.fails_at.items(), key=lambda item: item[1])[1:3]:
        sentence += f"; {LIMITS[key].many} alone would fail at {noun} {count}"
    if exposure.fails_on_full_trigger_chunk:
        sentence += (
            f"; a full {TRIGGER_CHUNK_SIZE}-record trigger chunk (Data Loader, API or a bulk "
            "DML from Apex) will fail"
        )
        bulk = exposure.fails_at_bulk_api
        if not asynchronous and bulk is not None and bulk > TRIGGER_CHUNK_SIZE:
            sentence += (
                " (a Bulk API load gets the higher asynchronous limit and passes only while "
                "nothing else in the transaction uses it)"
            )
    return sentence


def _cpu_note(source: ApexSource, unit: Node, outer: Node, inner: Node) -> str:
    kinds = {loop_source(source, outer, unit), loop_source(source, inner, unit)}
    if "unbounded" in kinds:
        return ""
    cpu = LIMITS["cpu_ms"]
    return (
        f"The {loop_description(source, inner)} (line {inner.start_point[0] + 1}) runs inside "
        f"the {loop_description(source, outer)} (line {outer.start_point[0] + 1}): its body runs "
        f"n x m times, e.g. {TRIGGER_CHUNK_SIZE * TRIGGER_CHUNK_SIZE:,} times for two 200-item "
        f"lists. CPU time is capped at {cpu.synchronous:,} ms synchronous and "
        f"{cpu.asynchronous:,} ms asynchronous; index the inner list in a Map to make it O(n)."
    )


def _risk(
    operations: list[LimitedOperation],
    exposures: tuple[LoopExposure, ...],
    cpu_notes: tuple[str, ...],
) -> str:
    if any(exposure.fails_on_full_trigger_chunk for exposure in exposures):
        return "critical"
    if any(exposure.limiting is not None for exposure in exposures):
        return "high"
    if exposures or cpu_notes:
        return "medium"
    return "low" if operations else "none"


def _runs_async(source: ApexSource, unit: Node) -> bool:
    if unit.type != "method_declaration":
        return False
    modifiers = next((child for child in unit.named_children if child.type == "modifiers"), None)
    if modifiers is not None and "@future" in compact(source.text_of(modifiers)):
        return True
    name = unit.child_by_field_name("name")
    parameters = unit.child_by_field_name("parameters")
    method = source.text_of(name).lower() if name is not None else ""
    signature = compact(source.text_of(parameters)) if parameters is not None else ""
    if method == "execute" and "queueablecontext" in signature:
        return True
    return method in {"start", "execute", "finish"} and "batchablecontext" in signature


def _unit_name(source: ApexSource, unit: Node) -> str:
    name = unit.child_by_field_name("name")
    own = source.text_of(name) if name is not None else "?"
    if unit.type == "trigger_declaration":
        return f"trigger {own}"
    owner = unit.parent.parent if unit.parent is not None else None
    owner_name = owner.child_by_field_name("name") if owner is not None else None
    prefix = f"{source.text_of(owner_name)}." if owner_name is not None else ""
    return f"{prefix}{own}" + (" (constructor)" if unit.type == "constructor_declaration" else "")


def _unit_summary(
    exposures: tuple[LoopExposure, ...],
    cpu_notes: tuple[str, ...],
    operations: list[LimitedOperation],
    asynchronous: bool,
) -> str:
    failing = [exposure for exposure in exposures if exposure.limiting is not None]
    if failing:
        mode = "fails_at_async" if asynchronous else "fails_at_sync"
        worst = min(failing, key=lambda exposure: getattr(exposure, mode))
        return f"The {worst.loop} (line {worst.line}) runs, {worst.note}"
    if exposures:
        return f"The {exposures[0].loop} (line {exposures[0].line}) {exposures[0].note}"
    if cpu_notes:
        return cpu_notes[0]
    if operations:
        return f"{len(operations)} limit-consuming operation(s), none inside a loop."
    return "No limit-consuming operations."


def _overall_summary(units: list[UnitRisk]) -> str:
    at_risk = sorted(
        (unit for unit in units if unit.risk in {"critical", "high", "medium"}),
        key=lambda unit: -_RISK_ORDER.index(unit.risk),
    )
    if not at_risk:
        total = sum(sum(asdict(unit.counts).values()) for unit in units)
        return (
            f"No limit-consuming operation runs inside a loop ({total} in total across "
            f"{len(units)} method(s) or trigger(s))."
        )
    worst = at_risk[0]
    more = f" {len(at_risk) - 1} more method(s) at risk." if len(at_risk) > 1 else ""
    return f"{worst.name} [{worst.risk}]: {worst.summary}{more}"
