"""The query budget: what a GraphQL document may cost, measured once and in linear time before validation.

Where the limits live: :class:`api.settings.ApiSettings` (``max_query_depth``, ``max_query_fields``,
``max_query_aliases``, ``max_query_repeated_fields``, ``max_query_fragments``, ``max_query_cost``,
``query_list_size``; the variables ``LINEAGE_MAX_QUERY_…`` and ``LINEAGE_QUERY_LIST_SIZE``), read into
:class:`QueryLimits`; the documented defaults admit every query of the dashboard, the benchmarks,
the README and GraphiQL's introspection query.
The token limit (``max_query_tokens``) stays with strawberry's ``MaxTokensLimiter``: the lexer is
linear and stops at the limit.

Why this exists — do not put the replaced rules back. Strawberry's ``QueryDepthLimiter`` and
``MaxAliasesLimiter`` rules (``strawberry.extensions.query_depth_limiter`` and ``.max_aliases``) walk a
fragment again at every spread with no memo, so ``fragment Fk on Model { ...F(k-1) ...F(k-1) }`` makes
them take time 2^k: 29 levels in a 1.1 KB document pinned a core for 26 minutes, synchronously on the
event loop and outside the operation timeout. graphql-core's ``OverlappingFieldsCanBeMerged`` rule is
quadratic in the fields sharing a response name in one selection set (``{ licenses { id } licenses
{ id } … ×497 }`` blocked 1.8 s). This module replaces the two strawberry rules and guards the
graphql-core ones: :func:`check` runs before any validation rule (see :class:`QueryBudget`) and
refuses a document over budget with one :class:`QueryRefused` error (``BAD_USER_INPUT``) that names
the limit and the measured value; graphql-core's standard rules then only ever see documents whose
expanded size is bounded.

What is measured, over every operation and fragment definition of the document (validation walks
them all, used or not), in two passes, after two checks that need no walk: the number of fragment
definitions (graphql-core compares fragments spread together pairwise: a fan-out of 200 fragments
took 0.1–0.2 s to validate) and, when no ``operationName`` is given, that there is one operation
(strawberry would otherwise run the first one).

1. Memoised, in time linear in the document: each fragment's measure is computed once (fragments in
   dependency order; a cycle of fragments is refused) and reused at every spread, multiplying counts,
   so the 2^29 fields of the fragment bomb are a number, never an enumeration.

   * depth: fields nested in one another (``{ licenses { id } }`` is 2 deep); introspection fields
     (``__schema``, ``__type``) and what they contain do not count, but lists inside them nest at most
     :data:`INTROSPECTION_LIST_NESTING` deep (what GraphiQL's introspection query needs), which bounds
     what an introspection query executes;
   * fields: every field, fragment spread and inline fragment, fragments expanded at each spread,
     summed over the definitions (what validation walks);
   * aliases: aliased fields, fragments expanded, in the definition that has the most;
   * cost of the operation to run: a field costs 1, plus its selection's cost times its weight: the
     value of its page argument (``first``, ``limit``, else ``maxDepth``: the literal, the variable or
     the schema default), else for a list field ``query_list_size``, else 1. Lists inside a *page
     type* (a type every field returning it takes a page argument: connections, ``FamilyGraph``,
     ``Ancestry``) weigh 1: the page size already counts them. Introspection lists weigh 1 (the schema
     is small and in memory). Which fields are lists comes from the schema, not from names.

2. Only when the fields are within the limit (so this pass is bounded by it): repeated fields, the
   most fields one response name collects in one selection set once fragments and inline fragments
   are merged and same-named fields' selections are merged as execution merges them; this bounds the
   pairs graphql-core's overlap rule compares.

:class:`DocumentCache` parses every document under the token limit (a document over it is refused
like one over the budget, with ``limit: max_query_tokens``) and caches parsed documents and
validation results only for documents of at most :data:`CACHED_DOCUMENT_CHARS` characters, at most :data:`CACHED_DOCUMENTS` of each, least
recently used dropped first, so a stream of distinct documents cannot grow memory.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    parse,
)
from graphql.type import SchemaMetaFieldDef, TypeMetaFieldDef
from strawberry.extensions import SchemaExtension

from api.errors import BadUserInput
from api.settings import ApiSettings

__all__ = [
    "CACHED_DOCUMENTS",
    "CACHED_DOCUMENT_CHARS",
    "INTROSPECTION_LIST_NESTING",
    "PAGE_ARGUMENTS",
    "DocumentCache",
    "QueryBudget",
    "QueryCost",
    "QueryLimits",
    "QueryRefused",
    "check",
]

PAGE_ARGUMENTS = ("first", "limit", "maxDepth")
"""Arguments that say how many items a field returns, in order of preference."""

INTROSPECTION_LIST_NESTING = 3
"""Lists inside introspection nest at most this deep (``types { fields { args } }``)."""

CACHED_DOCUMENT_CHARS = 4096
"""Longest query text whose parsed document and validation result are cached."""

CACHED_DOCUMENTS = 128
"""Most documents (and validation results) cached per schema."""

_CAP = 10**18  # counts saturate here: numbers stay small, messages stay readable


@dataclass(frozen=True, slots=True)
class QueryLimits:
    """The budget of one document; see :class:`api.settings.ApiSettings` for each limit."""

    max_depth: int = 10
    max_fields: int = 1_000
    max_aliases: int = 30
    max_repeated_fields: int = 10
    max_fragments: int = 30
    max_cost: int = 100_000
    list_size: int = 20

    @classmethod
    def from_settings(cls, settings: ApiSettings) -> QueryLimits:
        return cls(
            max_depth=settings.max_query_depth,
            max_fields=settings.max_query_fields,
            max_aliases=settings.max_query_aliases,
            max_repeated_fields=settings.max_query_repeated_fields,
            max_fragments=settings.max_query_fragments,
            max_cost=settings.max_query_cost,
            list_size=settings.query_list_size,
        )


@dataclass(frozen=True, slots=True)
class QueryCost:
    """What a document measured: depth, fields, aliases, repeated fields and the operation's cost."""

    depth: int
    fields: int
    aliases: int
    repeated_fields: int
    cost: int


class QueryRefused(BadUserInput):
    """The document is over budget (or malformed in a way that would make measuring it unbounded)."""

    def __init__(self, message: str, *, limit: str | None = None, measured: int | None = None, allowed: int | None = None):
        extensions: dict[str, Any] = {}
        if limit is not None:
            extensions = {"limit": limit, "measured": measured, "allowed": allowed}
        super().__init__(message, **extensions)


_WORDING = {  # setting: (what is measured, its unit, what to do)
    "max_query_depth": ("depth", "levels", "ask for fewer nested levels"),
    "max_query_fields": ("field count", "fields once fragments are expanded", "ask for fewer fields or fragments"),
    "max_query_aliases": ("alias count", "aliases", "ask for fewer aliased fields"),
    "max_query_repeated_fields": ("repetition of {subject} in one selection", "times", "ask for each field once"),
    "max_query_fragments": ("fragment count", "fragments", "use fewer fragments"),
    "max_query_tokens": ("token count", "tokens", "send a shorter document"),
    "max_query_cost": ("cost", "", "ask for fewer fields or smaller pages"),
}


def _over(setting: str, measured: int, allowed: int, *, partial: bool = True, subject: str = "") -> QueryRefused:
    """The refusal naming the limit; ``partial``: counting stopped at the first excess (a lower bound)."""
    what, unit, advice = _WORDING[setting]
    what = what.format(subject=subject)
    shown = f"more than {_CAP:,}" if measured >= _CAP else f"{measured:,}"
    if partial:
        shown = shown if measured >= _CAP else f"at least {shown}"
        message = f"the query's {what} exceeds the limit {allowed:,} ({shown} {unit}); {advice}"
    else:
        message = f"the query's {what} {shown} exceeds the limit {allowed:,}; {advice}"
    return QueryRefused(message, limit=setting, measured=min(measured, _CAP), allowed=allowed)


class _Measure(NamedTuple):
    depth: int  # fields nested (introspection excluded)
    fields: int  # fields, spreads and inline fragments, fragments expanded
    aliases: int
    cost: int
    lists: int  # lists nested inside introspection


_EMPTY = _Measure(0, 0, 0, 0, 0)


@lru_cache(maxsize=8)
def _page_types(schema: GraphQLSchema) -> frozenset[str]:
    """Types every field returning them takes a page argument (their lists are the page)."""
    paged: set[str] = set()
    unpaged: set[str] = set()
    for type_ in schema.type_map.values():
        if type_.name.startswith("__") or not isinstance(type_, GraphQLObjectType):
            continue
        for field in type_.fields.values():
            target = get_named_type(field.type).name
            (paged if any(a in field.args for a in PAGE_ARGUMENTS) else unpaged).add(target)
    return frozenset(paged - unpaged)


def _is_list(field: GraphQLField) -> bool:
    type_ = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    return isinstance(type_, GraphQLList)


def _int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return max(0, min(value, _CAP))


class _Walker:
    """Pass 1: the memoised measure of each definition (see the module docstring).

    Counts only grow while a selection set is summed, so a partial sum over a limit already
    refuses the document: nothing past the first excess is walked.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        limits: QueryLimits,
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.limits = limits
        self.variables = variables
        self.page_types = _page_types(schema)
        self.memo: dict[str, _Measure] = {}

    def measure_fragment(self, fragment: FragmentDefinitionNode) -> _Measure:
        type_ = self.schema.get_type(fragment.type_condition.name.value)
        measure = self.selection_set(fragment.selection_set, type_, 0)
        self.memo[fragment.name.value] = measure
        return measure

    def selection_set(self, node: SelectionSetNode, parent: GraphQLNamedType | None, level: int) -> _Measure:
        limits = self.limits
        depth = fields = aliases = cost = lists = 0
        keys: dict[str, int] = {}  # fields repeated right here: refused before their selections are walked
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                keys[key] = seen = keys.get(key, 0) + 1
                if seen > limits.max_repeated_fields:
                    raise _repeated(key, seen, limits)
                part = self.field(selection, parent, level)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                type_ = self.schema.get_type(condition.name.value) if condition else parent
                inner = self.selection_set(selection.selection_set, type_, level)
                part = inner._replace(fields=inner.fields + 1)
            elif isinstance(selection, FragmentSpreadNode):
                inner = self.memo.get(selection.name.value, _EMPTY)  # unknown: graphql-core reports it
                part = inner._replace(depth=inner.depth + level if inner.depth else 0, fields=inner.fields + 1)
                self._check_depth(part.depth)
            else:  # pragma: no cover - no other selections exist
                continue
            depth = max(depth, part.depth)
            lists = max(lists, part.lists)
            fields = min(fields + part.fields, _CAP)
            aliases = min(aliases + part.aliases, _CAP)
            cost = min(cost + part.cost, _CAP)
            if aliases > limits.max_aliases:
                raise _over("max_query_aliases", aliases, limits.max_aliases)
            if fields > limits.max_fields:
                raise _over("max_query_fields", fields, limits.max_fields)
        return _Measure(depth, fields, aliases, cost, lists)

    def field(self, node: FieldNode, parent: GraphQLNamedType | None, level: int) -> _Measure:
        name = node.name.value
        introspection = (name.startswith("__") and name != "__typename") or (
            parent is not None and parent.name.startswith("__")
        )
        depth = level if introspection else level + 1
        self._check_depth(depth)  # before descending: nesting past the limit is never walked
        alias = 1 if node.alias else 0
        if node.selection_set is None:
            return _Measure(depth, 1, alias, 1, 0)
        definition = self._definition(parent, name)
        child = get_named_type(definition.type) if definition is not None else None
        listed = definition is not None and _is_list(definition)
        inner = self.selection_set(node.selection_set, child, depth)
        lists = inner.lists
        if introspection:
            weight = 1
            lists += listed
            if lists > INTROSPECTION_LIST_NESTING:
                raise QueryRefused(
                    f"introspection lists nest {lists} deep, more than {INTROSPECTION_LIST_NESTING};"
                    " ask for the schema as GraphiQL does"
                )
        else:
            weight = self._weight(node, definition, parent, listed)
        cost = min(1 + inner.cost * weight, _CAP)
        return _Measure(max(depth, inner.depth), inner.fields + 1, inner.aliases + alias, cost, lists)

    def _definition(self, parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
        if name == "__schema":
            return SchemaMetaFieldDef
        if name == "__type":
            return TypeMetaFieldDef
        fields = getattr(parent, "fields", None)
        return fields.get(name) if fields is not None else None

    def _weight(self, node: FieldNode, definition: GraphQLField | None, parent: GraphQLNamedType | None, listed: bool) -> int:
        if definition is not None:
            for argument in PAGE_ARGUMENTS:
                if argument in definition.args:
                    size = self._argument(node, argument)
                    if size is None:
                        size = _int(definition.args[argument].default_value)
                    return self.limits.list_size if size is None else max(size, 1)
        if listed and (parent is None or parent.name not in self.page_types):
            return self.limits.list_size
        return 1

    def _argument(self, node: FieldNode, name: str) -> int | None:
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            value = argument.value
            if isinstance(value, VariableNode):
                return _int(self.variables.get(value.name.value))
            if isinstance(value, IntValueNode):
                return _CAP if len(value.value) > 18 else _int(int(value.value))
        return None

    def _check_depth(self, depth: int) -> None:
        if depth > self.limits.max_depth:
            raise _over("max_query_depth", depth, self.limits.max_depth)


def _spreads(node: SelectionSetNode) -> Iterator[str]:
    stack = [node]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                yield selection.name.value
            elif selection.selection_set is not None:  # fields and inline fragments
                stack.append(selection.selection_set)


def _dependency_order(fragments: Mapping[str, FragmentDefinitionNode]) -> list[FragmentDefinitionNode]:
    """Fragments, each after those it spreads; a cycle is refused (iterative: no recursion limit)."""
    order: list[FragmentDefinitionNode] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in fragments:
        if state.get(root):
            continue
        path = [root]
        pending = [iter([s for s in _spreads(fragments[root].selection_set) if s in fragments])]
        state[root] = 1
        while pending:
            nxt = next(pending[-1], None)
            if nxt is None:
                pending.pop()
                done = path.pop()
                state[done] = 2
                order.append(fragments[done])
            elif state.get(nxt) == 1:
                cycle = " → ".join([*path[path.index(nxt):], nxt])
                raise QueryRefused(f"fragment {nxt} spreads itself ({cycle}); fragments may not form cycles")
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                pending.append(iter([s for s in _spreads(fragments[nxt].selection_set) if s in fragments]))
    return order


def _repeated(key: str, count: int, limits: QueryLimits) -> QueryRefused:
    return _over("max_query_repeated_fields", count, limits.max_repeated_fields, subject=f"the field {key!r}")


def _repeated_fields(
    roots: list[SelectionSetNode], fragments: Mapping[str, FragmentDefinitionNode], limits: QueryLimits
) -> int:
    """Pass 2: the most same-named fields in one merged selection set (bounded by the fields limit)."""
    worst = 0
    groups: list[list[SelectionSetNode]] = [[root] for root in roots]
    while groups:
        work = groups.pop()
        counts: dict[str, int] = {}
        children: dict[str, list[SelectionSetNode]] = {}
        while work:
            for selection in work.pop().selections:
                if isinstance(selection, FieldNode):
                    key = (selection.alias or selection.name).value
                    counts[key] = counts.get(key, 0) + 1
                    if selection.selection_set is not None:
                        children.setdefault(key, []).append(selection.selection_set)
                elif isinstance(selection, InlineFragmentNode):
                    work.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
                    work.append(fragments[selection.name.value].selection_set)
        for key, count in counts.items():
            if count > limits.max_repeated_fields:
                raise _repeated(key, count, limits)
            worst = max(worst, count)
        groups.extend(children.values())
    return worst


def _operation(operations: list[OperationDefinitionNode], name: str | None) -> OperationDefinitionNode:
    """The operation to run; refused when there is none, or several and no name, or the name is unknown."""
    if name is None:
        if len(operations) > 1:
            raise QueryRefused(
                f"the document has {len(operations)} operations; name the one to run with operationName"
            )
        if not operations:
            raise QueryRefused("the document has no operation to run (only fragments)")
        return operations[0]
    for operation in operations:
        if operation.name is not None and operation.name.value == name:
            return operation
    raise QueryRefused(f"operationName {name!r} names no operation in the document")


def _variables(operation: OperationDefinitionNode, given: Mapping[str, Any] | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        default = definition.default_value
        if isinstance(default, IntValueNode) and len(default.value) <= 18:
            values[definition.variable.name.value] = int(default.value)
    values.update(given or {})
    return values


def check(
    document: DocumentNode,
    schema: GraphQLSchema,
    limits: QueryLimits,
    *,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> QueryCost:
    """Measure ``document``; raise :class:`QueryRefused` when it is over ``limits``, else return the measure."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    definitions = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
    if len(definitions) > limits.max_fragments:
        raise _over("max_query_fragments", len(definitions), limits.max_fragments, partial=False)
    fragments = {d.name.value: d for d in definitions}
    if len(fragments) < len(definitions):  # a shadowed definition would escape the memoised measure
        twice = next(d.name.value for d in definitions if fragments[d.name.value] is not d)
        raise QueryRefused(f"fragment {twice} is defined more than once; fragment names must be unique")
    selected = _operation(operations, operation_name)
    walker = _Walker(schema, fragments, limits, _variables(selected, variables))
    try:
        measures = [walker.measure_fragment(fragment) for fragment in _dependency_order(fragments)]
        cost = 0
        for operation in operations:
            root = schema.get_root_type(operation.operation)
            measure = walker.selection_set(operation.selection_set, root, 0)
            measures.append(measure)
            if operation is selected:
                cost = measure.cost
    except RecursionError:
        raise QueryRefused("the query is nested too deeply to measure; ask for fewer nested levels") from None
    depth = max((m.depth for m in measures), default=0)
    fields = min(sum(m.fields for m in measures), _CAP)
    aliases = max((m.aliases for m in measures), default=0)
    if aliases > limits.max_aliases:
        raise _over("max_query_aliases", aliases, limits.max_aliases, partial=False)
    if fields > limits.max_fields:
        raise _over("max_query_fields", fields, limits.max_fields, partial=False)
    if cost > limits.max_cost:
        raise _over("max_query_cost", cost, limits.max_cost, partial=False)
    roots = [d.selection_set for d in document.definitions if isinstance(d, (OperationDefinitionNode, FragmentDefinitionNode))]
    repeated = _repeated_fields(roots, fragments, limits)  # walks at most max_fields selections
    return QueryCost(depth=depth, fields=fields, aliases=aliases, repeated_fields=repeated, cost=cost)


class QueryBudget(SchemaExtension):
    """Runs :func:`check` after parsing and before any validation rule; a refusal stops validation.

    Right after parsing, the operation to run is chosen (strawberry would otherwise pick the first of
    several operations, and raise instead of answering for an unknown ``operationName``): a refusal
    raised there ends the request with that one error. Before validation, the budget: the refusal
    is set as the pre-execution errors, which strawberry then returns without running its own
    validation (``_run_validation`` skips when errors are already set) and which
    :class:`DocumentCache` (listed after this extension) respects too.
    """

    def __init__(self, *, limits: QueryLimits) -> None:
        self.limits = limits

    def _given_name(self) -> str | None:
        # The name the request gave: ``operation_name`` falls back to the first operation's name,
        # which would run the first of several operations instead of refusing the document.
        return getattr(self.execution_context, "_provided_operation_name", None)

    def on_parse(self) -> Iterator[None]:
        yield
        document = self.execution_context.graphql_document
        if document is not None:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            _operation(operations, self._given_name())

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.pre_execution_errors is None:
            try:
                check(context.graphql_document, context.schema._schema, self.limits,
                      operation_name=self._given_name(), variables=context.variables)
            except QueryRefused as refusal:
                context.pre_execution_errors = [refusal]
        yield


class _Lru:
    """A small thread-safe LRU mapping (validation may run in worker threads)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def keys(self) -> list[Any]:
        with self._lock:
            return list(self._items)

    def get(self, key: Any) -> Any:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)


class DocumentCache:
    """Parsed documents and validation results of small documents, keyed by query text, capped.

    Replaces strawberry's ``ParserCache`` and ``ValidationCache``, which cache documents of any size
    (900 distinct 22 KB documents grew the process by ~680 MB) and key validation by the document
    tree (hashed in full on every request). Pass the cache itself as an extension factory: calling it
    makes the per-request extension.
    """

    def __init__(self, *, entries: int = CACHED_DOCUMENTS, max_chars: int = CACHED_DOCUMENT_CHARS) -> None:
        self.max_chars = max_chars
        self.documents = _Lru(entries)
        self.validations = _Lru(entries)

    def __call__(self) -> SchemaExtension:
        return _DocumentCacheExtension(self)


def _parse(query: str, max_tokens: int | None) -> DocumentNode:
    """Parse under the token limit; the lexer stopping at the limit is a refusal like the budget's."""
    try:
        return parse(query, max_tokens=max_tokens)
    except GraphQLSyntaxError as error:
        if max_tokens is None or not error.message.endswith(f"more than {max_tokens} tokens. Parsing aborted."):
            raise  # other syntax errors are reported as they are
        raise _over("max_query_tokens", max_tokens + 1, max_tokens) from None


class _DocumentCacheExtension(SchemaExtension):
    def __init__(self, cache: DocumentCache) -> None:
        self.cache = cache

    def _cacheable(self) -> str | None:
        query = self.execution_context.query
        return query if query is not None and len(query) <= self.cache.max_chars else None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query, small = context.query, self._cacheable()
        if query is not None and context.graphql_document is None:
            document = self.cache.documents.get(small) if small is not None else None
            if document is None:
                document = _parse(query, context.parse_options.get("max_tokens"))
                if small is not None:
                    self.cache.documents.put(small, document)
            context.graphql_document = document
        yield

    def on_validate(self) -> Iterator[None]:
        from strawberry.schema.schema import validate_document  # strawberry imports this module's package

        context = self.execution_context
        query = self._cacheable()
        if query is not None and context.pre_execution_errors is None and context.graphql_document is not None:
            key = (query, context.validation_rules)
            errors = self.cache.validations.get(key)
            if errors is None:
                errors = validate_document(context.schema._schema, context.graphql_document, context.validation_rules)
                self.cache.validations.put(key, errors)
            context.pre_execution_errors = list(errors)
        yield
