"""Bulkified rewrites of for-each loops that query or write records once per iteration.

Only mechanical cases are rewritten: a SOQL query filtered by `Field = :loopVar.SomeId`
becomes one query with `IN :keys` read through a Map, and a DML statement becomes a List
written once after the loop. Anything else in the loop that consumes limits, or a change that
could alter what the code does, yields no rewrite: no example is better than a wrong one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node

from sfagent.diagnostics.apex.bulkify_query import (
    INDENT,
    Edit,
    QueryRewrite,
    collection_element,
    lower_camel,
    plural,
    splice,
)
from sfagent.diagnostics.apex.operations import (
    call_qualifier,
    classify_operation,
    compact,
    declared_names,
    enclosing_unit,
)
from sfagent.diagnostics.apex.source import ApexSource, ancestors, descendants, enclosing_loop

_DML_VERBS = frozenset({"insert", "update", "upsert", "delete", "undelete"})
_EXISTING_ROW_VERBS = frozenset({"update", "delete", "undelete"})
_ITERABLE_TYPES = frozenset({"identifier", "field_access", "method_invocation"})
_DECLARATIONS = ("local_variable_declaration", "formal_parameter", "enhanced_for_statement")
_OPERATION_TYPES = ("query_expression", "dml_expression", "run_as_statement", "method_invocation")


def bulkified_example(source: ApexSource, operation: Node) -> str | None:
    """A rewrite of the loop repeating `operation` that queries or writes once, or None."""
    loop = enclosing_loop(operation)
    return bulkify_loop(source, loop) if loop is not None else None


def bulkify_loop(source: ApexSource, loop: Node) -> str | None:
    """The loop rewritten without per-iteration SOQL/DML, or None when it is not mechanical."""
    plan = _LoopPlan.of(source, loop)
    if plan is None or not plan.plan_operations():
        return None
    example = plan.render()
    return None if ApexSource(example).root.has_error else example


@dataclass
class _LoopPlan:
    source: ApexSource
    loop: Node
    body: Node
    unit: Node
    iterable: Node
    variable: str
    element_type: str
    inside: dict[str, list[Node]]  # the loop body's named nodes by type, in document order
    loop_locals: set[str]  # lower-cased names declared inside the loop body
    names: set[str] = field(default_factory=set)  # names used in the method, loaded on demand
    key_sets: dict[str, str] = field(default_factory=dict)  # bind expression -> Set name
    queried: set[str] = field(default_factory=set)
    written: set[str] = field(default_factory=set)
    query_rows: set[str] = field(default_factory=set)  # variables holding this loop's query rows
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)

    @classmethod
    def of(cls, source: ApexSource, loop: Node) -> _LoopPlan | None:
        body, unit = loop.child_by_field_name("body"), enclosing_unit(loop)
        iterable, name = loop.child_by_field_name("value"), loop.child_by_field_name("name")
        declared = loop.child_by_field_name("type")
        if loop.type != "enhanced_for_statement" or enclosing_loop(loop) is not None:
            return None
        if body is None or body.type != "block" or unit is None or loop.has_error:
            return None
        if iterable is None or iterable.type not in _ITERABLE_TYPES or name is None:
            return None
        if declared is None or declared.type != "type_identifier":
            return None
        inside: dict[str, list[Node]] = {}
        for node in descendants(body):
            inside.setdefault(node.type, []).append(node)
        loop_locals = {
            source.text_of(local).lower()
            for kind in _DECLARATIONS
            for declaration in inside.get(kind, [])
            for local in declared_names(declaration)
        }
        variable, element = source.text_of(name), source.text_of(declared)
        return cls(source, loop, body, unit, iterable, variable, element, inside, loop_locals)

    def plan_operations(self) -> bool:
        """Plan every limit-consuming operation in the loop; False if any is not mechanical."""
        candidates = sorted(
            (node for kind in _OPERATION_TYPES for node in self.inside.get(kind, [])),
            key=lambda node: node.start_byte,
        )
        planned = 0
        for node in candidates:
            operation = classify_operation(self.source, node)
            if operation is None or not operation.pmd_limited:
                continue
            if enclosing_loop(node) != self.loop or not self._plan(node):
                return False
            planned += 1
        # A query could see rows an earlier iteration wrote: batching would change its result.
        if not planned or {kind.lower() for kind in self.queried} & self.written:
            return False
        # Leaving the loop early would skip the DML now placed after it.
        exits = ("return_statement", "throw_statement")
        return not self.after or not any(self.inside.get(kind) for kind in exits)

    def _plan(self, node: Node) -> bool:
        if node.type == "query_expression":
            return self._plan_query(node)
        if node.type == "dml_expression":
            return self._plan_dml(node, node.child_by_field_name("target"))
        if node.type == "method_invocation" and _is_database_dml(self.source, node):
            arguments = node.child_by_field_name("arguments")
            first = arguments.named_children[0] if arguments and arguments.named_children else None
            return self._plan_dml(node, first)
        return False

    def unique(self, name: str) -> str:
        """A variable name not yet used in the method."""
        if not self.names:
            identifiers = descendants(self.unit, "identifier")
            self.names.update(self.source.text_of(node).lower() for node in identifiers)
        candidate, number = name, 2
        while candidate.lower() in self.names:
            candidate, number = f"{name}{number}", number + 1
        self.names.add(candidate.lower())
        return candidate

    def declared_type(self, name: str) -> Node | None:
        """The declared type of a local variable or parameter of the method."""
        for kind in _DECLARATIONS[:2]:
            for declaration in descendants(self.unit, kind):
                if any(
                    self.source.text_of(declared).lower() == name.lower()
                    for declared in declared_names(declaration)
                ):
                    return declaration.child_by_field_name("type")
        return None

    def _plan_dml(self, operation: Node, target: Node | None) -> bool:
        statement = operation.parent
        if statement is None or statement.type != "expression_statement" or target is None:
            return False
        verb = _dml_verb(self.source, operation)
        element = self._record_type(target)
        if verb not in _DML_VERBS or self._inside_try(statement) or element is None:
            return False
        if self._used_after(target, statement):  # later code needs the written record's Id
            return False
        record_type, many = element
        own_rows = self.source.text_of(target).lower() in self.query_rows
        if not (own_rows and verb in {"update", "delete"}):
            # Rows fetched for this key and written back cannot change another key's query.
            self.written.add(record_type.lower())
        records = self.unique(f"{plural(lower_camel(record_type))}To{verb.capitalize()}")
        target_text = self.source.text_of(target)
        if verb in _EXISTING_ROW_VERBS:
            # A Map keyed by Id: the same record met twice would make the list DML fail.
            if target.type != "identifier":
                return False
            self.before.append(f"Map<Id, {record_type}> {records} = new Map<Id, {record_type}>();")
            add = (
                f"{records}.putAll({target_text});"
                if many
                else (f"{records}.put({target_text}.Id, {target_text});")
            )
            written = f"{records}.values()"
        else:
            self.before.append(f"List<{record_type}> {records} = new List<{record_type}>();")
            add = f"{records}.{'addAll' if many else 'add'}({target_text});"
            written = records
        self.edits.append((statement.start_byte, statement.end_byte, add))
        self.after.append(
            splice(self.source, statement, [(target.start_byte, target.end_byte, written)])
        )
        return True

    def _inside_try(self, statement: Node) -> bool:
        for parent in ancestors(statement):
            if parent == self.body:
                return False
            if parent.type == "try_statement":
                return True
        return False

    def _record_type(self, target: Node) -> tuple[str, bool] | None:
        """The sObject type written and whether the target is a collection of them."""
        if target.type == "object_creation_expression":
            created = target.child_by_field_name("type")
            if created is not None and created.type == "type_identifier":
                return self.source.text_of(created), False
            return None
        if target.type != "identifier":
            return None
        name = self.source.text_of(target)
        if name.lower() == self.variable.lower():
            return self.element_type, False
        return collection_element(self.source, self.declared_type(name))

    def _used_after(self, target: Node, statement: Node) -> bool:
        name = self.source.text_of(target).lower() if target.type == "identifier" else None
        return name is not None and any(
            node.start_byte >= statement.end_byte and self.source.text_of(node).lower() == name
            for node in self.inside.get("identifier", [])
        )

    def _plan_query(self, query: Node) -> bool:
        rewrite = QueryRewrite.of(self, query)
        if rewrite is None or self._assigned_in_loop(rewrite.key):
            return False
        self.queried.add(rewrite.record_type)
        if query.parent is not None and query.parent.type == "variable_declarator":
            variable = query.parent.child_by_field_name("name")
            self.query_rows.update([self.source.text_of(variable).lower()] if variable else [])
        keys = self._key_set(rewrite.key)
        mapping = self.unique(rewrite.map_name)
        self.before.extend(rewrite.map_lines(mapping, keys, self))
        self.edits.append((query.start_byte, query.end_byte, rewrite.lookup(mapping)))
        return True

    def _assigned_in_loop(self, key: str) -> bool:
        """Keys are collected before the loop, so the loop must not change them first."""
        for assignment in self.inside.get("assignment_expression", []):
            left = assignment.child_by_field_name("left")
            if left is not None and compact(self.source.text_of(left)) == compact(key):
                return True
        return False

    def _key_set(self, key: str) -> str:
        if key.lower() == self.variable.lower() and self.iterable.type != "method_invocation":
            return self.source.text_of(self.iterable)  # the loop already walks a list of Ids
        if key not in self.key_sets:
            last = key.split(".")[-1]
            if "." in key and last.lower() == "id":
                base = lower_camel(self.element_type) + "Id"
            else:
                base = lower_camel(last)  # `accountId` for `:c.AccountId`
            self.key_sets[key] = self.unique(base + ("s" if base.endswith("Id") else "Ids"))
        return self.key_sets[key]

    def render(self) -> str:
        """The key collection, the maps, the rewritten loop and the DML after it."""
        lines = ["// Bulkified: " + self._summary()]
        if self.key_sets:
            lines += [f"Set<Id> {name} = new Set<Id>();" for name in self.key_sets.values()]
            header = self.source.data[self.loop.start_byte : self.body.start_byte].decode()
            adds = "".join(f"\n{INDENT}{name}.add({key});" for key, name in self.key_sets.items())
            lines.append(f"{header.rstrip()} {{{adds}\n}}")
        line = self.source.lines[self.loop.start_point[0]]
        indent = line[: len(line) - len(line.lstrip())]
        loop_lines = splice(self.source, self.loop, self.edits).split("\n")
        loop_text = "\n".join(
            [loop_lines[0], *(text.removeprefix(indent) for text in loop_lines[1:])]
        )
        return "\n".join([*lines, *self.before, loop_text, *self.after]) + "\n"

    def _summary(self) -> str:
        steps = ["collect the Ids first, query once into a Map"] if self.key_sets else []
        steps += ["write the records once after the loop"] if self.after else []
        return "; ".join(steps) + "."


def _is_database_dml(source: ApexSource, call: Node) -> bool:
    qualifier = call_qualifier(source, call)
    name = call.child_by_field_name("name")
    if qualifier is None or name is None or qualifier.lower() != "database":
        return False
    return source.text_of(name).lower() in _DML_VERBS


def _dml_verb(source: ApexSource, operation: Node) -> str:
    if operation.type == "dml_expression":
        verb = next((child for child in operation.named_children if child.type == "dml_type"), None)
        return source.text_of(verb).lower() if verb is not None else ""
    name = operation.child_by_field_name("name")
    return source.text_of(name).lower() if name is not None else ""
