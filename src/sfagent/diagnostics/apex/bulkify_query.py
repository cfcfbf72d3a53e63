"""How a SOQL query repeated per loop iteration becomes one query read through a Map.

Also the small text helpers the bulkified rewrites share: splicing edits into source text and
deriving variable names from the user's own identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from tree_sitter import Node

from sfagent.diagnostics.apex.operations import compact, query_object
from sfagent.diagnostics.apex.source import ApexSource, ancestors, descendants

INDENT = "    "
Edit = tuple[int, int, str]
_QUERY_PARTS = frozenset(
    {"select_clause", "from_clause", "where_clause", "with_clause", "order_by_clause"}
)


class LoopFacts(Protocol):
    """What the query rewrite needs to know about the loop it is hoisted out of."""

    source: ApexSource
    variable: str  # the loop variable
    element_type: str  # its declared type
    loop_locals: set[str]  # lower-cased names declared inside the loop body

    def unique(self, name: str) -> str:
        """A variable name not yet used in the method."""
        ...

    def declared_type(self, name: str) -> Node | None:
        """The declared type of a local variable or parameter of the method."""
        ...


@dataclass(frozen=True, slots=True)
class QueryRewrite:
    """How one per-iteration query becomes a Map built once before the loop."""

    record_type: str
    key: str  # the bind expression, e.g. `c.AccountId`
    by_id: bool  # the query filters on Id itself: Map<Id, X> straight from the query
    single: bool  # the result is assigned to a single record
    field_path: str
    bulk_query: str  # with `:__KEYS__` where the Set name goes

    @classmethod
    def of(cls, plan: LoopFacts, query: Node) -> QueryRewrite | None:
        source = plan.source
        body = query.named_children[0] if query.named_children else None
        record_type = query_object(source, query)
        if body is None or body.type != "soql_query_body" or query.has_error or not record_type:
            return None
        limit = body.child_by_field_name("limit_clause")
        parts = [part for part in body.named_children if part != limit]
        if any(part.type not in _QUERY_PARTS for part in parts) or not _plain_fields(body):
            return None
        comparison, single = _keyed_comparison(plan, query), _assigns_single_record(plan, query)
        if comparison is None or single is None:
            return None
        field_path = source.text_of(comparison.named_children[0])
        by_id = field_path.lower() == "id"
        limit_one = limit is not None and compact(source.text_of(limit)) == "limit1"
        if (limit is not None and not limit_one) or (single and not by_id and not limit_one):
            return None
        edits = [(comparison.start_byte, comparison.end_byte, f"{field_path} IN :__KEYS__")]
        if limit is not None:
            previous = limit.prev_sibling
            edits.append((previous.end_byte if previous else limit.start_byte, limit.end_byte, ""))
        select = body.child_by_field_name("select_clause")
        selected = (
            {compact(source.text_of(child)) for child in select.named_children} if select else set()
        )
        if not by_id and select is not None and compact(field_path) not in selected:
            edits.append((select.end_byte, select.end_byte, f", {field_path}"))
        bulk = "[" + " ".join(splice(source, query, edits).strip()[1:-1].split()) + "]"
        key = source.text_of(comparison.named_children[-1])[1:].strip()
        return cls(record_type, key, by_id, single, field_path, bulk)

    @property
    def map_name(self) -> str:
        """`contactsById` or `contactsByAccountId`."""
        suffix = "Id" if self.by_id else upper_camel(self.field_path.split(".")[-1])
        return f"{plural(lower_camel(self.record_type))}By{suffix}"

    def map_lines(self, name: str, keys: str, plan: LoopFacts) -> list[str]:
        """Statements that run the query once and index its rows."""
        query, kind = self.bulk_query.replace(":__KEYS__", f":{keys}"), self.record_type
        if self.by_id:
            return [f"Map<Id, {kind}> {name} = new Map<Id, {kind}>({query});"]
        row = plan.unique(lower_camel(kind) + "Row")
        key = f"{row}.{self.field_path}"
        return [
            f"Map<Id, List<{kind}>> {name} = new Map<Id, List<{kind}>>();",
            f"for ({kind} {row} : {query}) {{\n"
            f"{INDENT}if (!{name}.containsKey({key})) {{\n"
            f"{INDENT * 2}{name}.put({key}, new List<{kind}>());\n"
            f"{INDENT}}}\n"
            f"{INDENT}{name}.get({key}).add({row});\n}}",
        ]

    def lookup(self, name: str) -> str:
        """The expression that replaces the query inside the loop."""
        kind, key, found = self.record_type, self.key, f"{self.key}) ? {name}.get({self.key})"
        if self.by_id and self.single:
            return f"{name}.get({key})"
        if self.by_id:
            listed = f"new List<{kind}>{{ {name}.get({key}) }}"
            return f"({name}.containsKey({key}) ? {listed} : new List<{kind}>())"
        if self.single:
            return f"({name}.containsKey({found}[0] : null)"
        return f"({name}.containsKey({found} : new List<{kind}>())"


def _keyed_comparison(plan: LoopFacts, query: Node) -> Node | None:
    """The one `Field = :loopVar.SomeId` condition, ANDed with conditions fixed for the loop."""
    source = plan.source
    keyed: list[Node] = []
    for bind in descendants(query, "bound_apex_expression"):
        used = {source.text_of(node).lower() for node in descendants(bind, "identifier")}
        if plan.variable.lower() in used:
            keyed.append(bind)
        elif used & plan.loop_locals:
            return None
    comparison = keyed[0].parent if len(keyed) == 1 and _is_id_key(plan, keyed[0]) else None
    if comparison is None or comparison.type != "comparison_expression":
        return None
    parts = comparison.named_children
    if len(parts) != 3 or parts[0].type != "field_identifier" or source.text_of(parts[1]) != "=":
        return None
    for parent in ancestors(comparison):
        if parent.type == "where_clause":
            return comparison if parent.parent == query.named_children[0] else None
        if parent.type != "and_expression":
            return None
    return None


def _is_id_key(plan: LoopFacts, bind: Node) -> bool:
    """Only Id keys: a Map keyed by text would be case-sensitive where SOQL `=` is not."""
    value = bind.named_children[0] if bind.named_children else None
    if value is not None and value.type == "identifier":
        return plan.element_type.lower() == "id"
    if value is None or value.type != "field_access":
        return False
    owner, member = value.child_by_field_name("object"), value.child_by_field_name("field")
    if owner is None or member is None or owner.type != "identifier":
        return False
    name = plan.source.text_of(member)
    owned = plan.source.text_of(owner).lower() == plan.variable.lower()
    return owned and (name.lower() == "id" or name.endswith("Id"))


def _assigns_single_record(plan: LoopFacts, query: Node) -> bool | None:
    """True when the result goes into one record, False for a list, None when unknown."""
    parent = query.parent
    declared: Node | None = None
    if parent is not None and parent.type == "variable_declarator" and parent.parent is not None:
        declared = parent.parent.child_by_field_name("type")
    elif parent is not None and parent.type == "assignment_expression":
        left = parent.child_by_field_name("left")
        if left is None or left.type != "identifier":
            return None
        declared = plan.declared_type(plan.source.text_of(left))
    else:
        return False
    element = collection_element(plan.source, declared)
    return None if element is None else not element[1]


def collection_element(source: ApexSource, declared: Node | None) -> tuple[str, bool] | None:
    """(`Contact`, True) for List<Contact> or Contact[]; (`Contact`, False) for Contact."""
    if declared is not None and declared.type == "type_identifier":
        name = source.text_of(declared)
        return None if name.lower() in {"list", "set", "map", "object"} else (name, False)
    if declared is not None and declared.type == "array_type":
        element = declared.child_by_field_name("element")
        return (source.text_of(element), True) if element is not None else None
    if declared is not None and declared.type == "generic_type" and declared.named_children:
        outer = source.text_of(declared.named_children[0]).lower()
        arguments = declared.named_children[-1].named_children
        if outer == "list" and len(arguments) == 1 and arguments[0].type == "type_identifier":
            return source.text_of(arguments[0]), True
    return None


def _plain_fields(body: Node) -> bool:
    select = body.child_by_field_name("select_clause")
    allowed = {"field_identifier", "subquery"}
    return select is not None and all(child.type in allowed for child in select.named_children)


def splice(source: ApexSource, node: Node, edits: list[Edit]) -> str:
    """The node's text with byte-range edits applied (ranges are absolute source offsets)."""
    text = source.data[node.start_byte : node.end_byte]
    for start, end, replacement in sorted(edits, reverse=True):
        offset = node.start_byte
        text = text[: start - offset] + replacement.encode() + text[end - offset :]
    return text.decode("utf-8", "replace")


def lower_camel(name: str) -> str:
    bare = name.removesuffix("__c").removesuffix("__C").removesuffix("__r")
    words = [part for part in bare.split("_") if part] or ["record"]
    first = words[0][0].lower() + words[0][1:]
    return first + "".join(word[0].upper() + word[1:] for word in words[1:])


def upper_camel(name: str) -> str:
    camel = lower_camel(name)
    return camel[0].upper() + camel[1:]


def plural(word: str) -> str:
    if word.endswith("y") and len(word) > 1 and word[-2].lower() not in "aeiou":
        return word[:-1] + "ies"
    return word + ("es" if word.endswith(("s", "x", "z", "ch", "sh")) else "s")
