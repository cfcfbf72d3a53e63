"""The event tree: paired events nest on a stack; closed frames feed bounded aggregates."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from sfagent.diagnostics.logs.model import NodeAggregate, SlowestNodes, TimedNode, TreeNode

# Memory stays bounded on huge logs: past these sizes we keep totals, not individual nodes.
MAX_TREE_NODES = 5_000
MAX_STACK_DEPTH = 1_000
MAX_AGGREGATES = 2_000
SLOWEST_KEPT = 10
OTHER_NAME = "(other)"
SLOW_KINDS = ("code_unit", "soql", "sosl", "dml", "method", "callout", "flow")
_SLOW_KIND_SET = frozenset(SLOW_KINDS)
# (time, minus the frame's order, frame): equal times rank the earlier frame higher.
_Ranked = tuple[int, int, TimedNode]

# A closer may close frames above its opener only within the same code unit: a stray
# METHOD_EXIT must never end the trigger that contains it.
_RANK = {"log": 0, "execution": 1, "code_unit": 2}
_LEAF_RANK = 3


def _rank(kind: str) -> int:
    return _RANK.get(kind, _LEAF_RANK)


class _Frame:
    """An open frame of the tree."""

    # A plain slotted class: one is built per opening event, and a dataclass with a default
    # factory costs about a third more.
    __slots__ = (
        "child_ns",
        "children",
        "detail",
        "kept",
        "kind",
        "log_line",
        "name",
        "omitted_children",
        "source_line",
        "start_ns",
    )

    def __init__(
        self,
        kind: str,
        name: str,
        log_line: int,
        source_line: str | None,
        start_ns: int | None,
        kept: bool,
        detail: str = "",
    ) -> None:
        self.kind = kind
        self.name = name
        self.log_line = log_line
        self.source_line = source_line
        self.start_ns = start_ns
        self.kept = kept
        self.detail = detail
        self.child_ns = 0
        self.children: list[TreeNode] = []
        self.omitted_children = 0


@dataclass(slots=True)
class _Aggregate:
    count: int = 0
    total_ns: int = 0
    self_ns: int = 0
    max_ns: int = 0


class TreeBuilder:
    """Builds the tree of code units, methods, SOQL, DML, callouts, flows and validations."""

    def __init__(self) -> None:
        self._stack: list[_Frame] = [_Frame("log", "log", 0, None, None, kept=True)]
        self._kept = 1
        self._omitted = 0
        self._dropped_openers = 0
        self._unterminated = 0
        self._open_at_end = 0
        self._aggregates: dict[tuple[str, str], _Aggregate] = {}
        self._slowest_total: dict[str, list[_Ranked]] = {kind: [] for kind in SLOW_KINDS}
        self._slowest_self: dict[str, list[_Ranked]] = {kind: [] for kind in SLOW_KINDS}
        self._order = 0
        self.last_ns: int | None = None

    @property
    def top(self) -> _Frame:
        """The innermost open frame."""
        return self._stack[-1]

    def innermost(self, kind: str) -> _Frame | None:
        """The innermost open frame of a kind, if any."""
        for frame in reversed(self._stack):
            if frame.kind == kind:
                return frame
        return None

    def open(
        self,
        kind: str,
        name: str,
        log_line: int,
        source_line: str | None,
        ns: int | None,
        detail: str = "",
    ) -> None:
        """Push a frame for an opening event."""
        if len(self._stack) >= MAX_STACK_DEPTH:
            self._dropped_openers += 1
            return
        kept = self._kept < MAX_TREE_NODES
        self._kept += kept
        self._stack.append(_Frame(kind, name, log_line, source_line, ns, kept, detail))

    def close(self, kind: str, ns: int | None, detail: str = "") -> bool:
        """Pop the nearest open frame of this kind; False when none matches."""
        stack = self._stack
        top = stack[-1]
        # The usual case: the closer matches the innermost frame (the root never matches).
        if top.kind != kind:
            depth = self._matching_depth(kind)
            if depth is None:
                return False
            while len(stack) - 1 > depth:
                self._unterminated += 1
                self._pop(ns, unterminated=True)
            top = stack[-1]
        if detail:
            top.detail = f"{top.detail} {detail}".strip()
        self._pop(ns, unterminated=False)
        return True

    def _matching_depth(self, kind: str) -> int | None:
        rank = _rank(kind)
        for depth in range(len(self._stack) - 1, 0, -1):
            frame = self._stack[depth]
            if frame.kind == kind:
                return depth
            if _rank(frame.kind) < rank:
                return None
        return None

    def _pop(self, ns: int | None, *, unterminated: bool) -> None:
        frame = self._stack.pop()
        end_ns = ns if ns is not None else self.last_ns
        start_ns = frame.start_ns
        total = end_ns - start_ns if end_ns is not None and start_ns is not None else 0
        if total < 0:
            total = 0
        self_ns = total - frame.child_ns
        if self_ns < 0:
            self_ns = 0
        parent = self._stack[-1]
        parent.child_ns += total
        # Totals per kind and name (inline: this runs for every closed frame).
        key = (frame.kind, frame.name)
        entry = self._aggregates.get(key)
        if entry is None:
            if len(self._aggregates) >= MAX_AGGREGATES:
                key = (frame.kind, OTHER_NAME)
            entry = self._aggregates.setdefault(key, _Aggregate())
        entry.count += 1
        entry.total_ns += total
        entry.self_ns += self_ns
        if total > entry.max_ns:
            entry.max_ns = total
        if frame.kind in _SLOW_KIND_SET:
            self._remember_slow(frame, total, self_ns)
        if not frame.kept:
            parent.omitted_children += 1
            self._omitted += 1
            return
        parent.children.append(
            TreeNode(
                frame.kind,
                frame.name,
                frame.log_line,
                frame.source_line,
                start_ns,
                end_ns,
                total,
                self_ns,
                frame.detail,
                tuple(frame.children),
                frame.omitted_children,
                unterminated,
            )
        )

    def _remember_slow(self, frame: _Frame, total: int, self_ns: int) -> None:
        # A newer frame ranks below an older one of equal time, so it enters a full heap only
        # when strictly slower than the heap's smallest; the TimedNode is built only then.
        self._order += 1
        by_total = self._slowest_total[frame.kind]
        by_self = self._slowest_self[frame.kind]
        enters_total = len(by_total) < SLOWEST_KEPT or total > by_total[0][0]
        enters_self = len(by_self) < SLOWEST_KEPT or self_ns > by_self[0][0]
        if not (enters_total or enters_self):
            return
        timed = TimedNode(
            frame.kind, frame.name, frame.log_line, frame.source_line, total, self_ns, frame.detail
        )
        if enters_total:
            _keep(by_total, (total, -self._order, timed))
        if enters_self:
            _keep(by_self, (self_ns, -self._order, timed))

    def finish(self) -> TreeNode:
        """Close every frame still open at the last elapsed ns and return the root."""
        while len(self._stack) > 1:
            self._unterminated += 1
            self._open_at_end += 1
            self._pop(self.last_ns, unterminated=True)
        root = self._stack[0]
        total = sum(child.total_ns for child in root.children)
        return TreeNode(
            "log",
            "log",
            0,
            None,
            None,
            self.last_ns,
            total,
            0,
            children=tuple(root.children),
            omitted_children=root.omitted_children,
        )

    @property
    def nodes_kept(self) -> int:
        """Frames kept as tree nodes (the root included)."""
        return self._kept

    @property
    def nodes_omitted(self) -> int:
        """Closed frames counted in aggregates but not kept in the tree."""
        return self._omitted

    @property
    def unterminated(self) -> int:
        """Frames that no matching closer ended (cut log, fatal error, missing lines)."""
        return self._unterminated

    @property
    def open_at_end(self) -> int:
        """Frames still open when the log ended (a sign the log was cut)."""
        return self._open_at_end

    def aggregates(self) -> tuple[NodeAggregate, ...]:
        """Totals per kind and name, largest total time first."""
        rows = (
            NodeAggregate(kind, name, a.count, a.total_ns, a.self_ns, a.max_ns)
            for (kind, name), a in self._aggregates.items()
        )
        return tuple(sorted(rows, key=lambda row: -row.total_ns))

    def slowest(self) -> dict[str, SlowestNodes]:
        """Slowest frames per kind by total and by self time."""
        return {
            kind: SlowestNodes(
                by_total=_descending(self._slowest_total[kind]),
                by_self=_descending(self._slowest_self[kind]),
            )
            for kind in SLOW_KINDS
            if self._slowest_total[kind]
        }


def _keep(heap: list[_Ranked], item: _Ranked) -> None:
    if len(heap) < SLOWEST_KEPT:
        heapq.heappush(heap, item)
    else:
        heapq.heapreplace(heap, item)


def _descending(heap: list[_Ranked]) -> tuple[TimedNode, ...]:
    return tuple(item[2] for item in sorted(heap, reverse=True))
