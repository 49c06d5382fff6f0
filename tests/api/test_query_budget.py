"""The query budget: hostile documents refused with one clear error before any validation rule runs,
legitimate ones admitted, worst admitted ones validated quickly, caches capped.

The unit tests measure documents with :func:`api.query_budget.check` and run them through
``schema.execute`` without a graph (a refused document never reaches a resolver); the integration
tests run the dashboard's queries and a bomb against the real graph and the real app.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from graphql import DocumentNode, GraphQLSchema, get_introspection_query, parse

from api.query_budget import CACHED_DOCUMENT_CHARS, CACHED_DOCUMENTS, DocumentCache, QueryCost, QueryLimits, QueryRefused, check
from api.schema import LineageSchema, create_schema
from api.settings import ApiSettings
from bench.api_graphql import AGGREGATES_QUERY, MODEL_QUERY, PROPAGATION_QUERY
from graph.client import GraphClient
from graph.settings import Neo4jSettings
from lineage.demo import EXAMPLE_QUERIES
from tests.support.bundled import BundledGraph
from tests.support.graphql import DASHBOARD, api_settings, http_client, run_graphql

LLAMA = "meta-llama/Llama-3.1-8B"
LIMITS = QueryLimits()
GENEROUS_S = 1.0  # proves "no exponential blow-up", not speed (bench/query_budget.py measures that)


def bomb(levels: int) -> str:
    """The 1.1 KB document of the issue: fragment Fk spreads F(k-1) twice, so F29 holds 2^29 ids."""
    fragments = ["fragment F0 on Model { id }"]
    fragments += [f"fragment F{k} on Model {{ ...F{k - 1} ...F{k - 1} }}" for k in range(1, levels + 1)]
    return f'{{ model(id: "{LLAMA}") {{ ...F{levels} }} }} ' + " ".join(fragments)


def fan_out(width: int) -> str:
    spreads = " ".join(f"...W{i}" for i in range(width))
    fragments = " ".join(f"fragment W{i} on Model {{ id author }}" for i in range(width))
    return f'{{ model(id: "{LLAMA}") {{ {spreads} }} }} {fragments}'


def nested(levels: int) -> str:
    inner = "id"
    for _ in range(levels):
        inner = f"parents {{ edges {{ parent {{ {inner} }} }} }}"
    return f'{{ model(id: "{LLAMA}") {{ {inner} }} }}'


HOSTILE = {  # name: (document, the limit that refuses it at the default settings)
    "bomb of 29 levels": (bomb(29), "max_query_fields"),
    "bomb of 189 levels": (bomb(189), "max_query_fragments"),
    "fan-out of width 50": (fan_out(50), "max_query_fragments"),
    "licenses{id} x 497": ("{ " + " ".join(["licenses { id }"] * 497) + " }", "max_query_repeated_fields"),
    "nesting 75 deep": (nested(25), "max_query_depth"),
    "1,000 aliases": ("{ " + " ".join(f'a{i}: model(id: "m/{i}") {{ id }}' for i in range(1000)) + " }", "max_query_aliases"),
    "pages of pages": (
        "{ models(first: 500) { edges { children(first: 500) { edges { child { id } } } } } }",
        "max_query_cost",
    ),
}

LEGITIMATE = {  # name: (document, variables)
    **{f"dashboard {name}": (query, {"first": 500, "limit": 5000, "search": "llama", "id": LLAMA, "root": LLAMA})
       for name, query in DASHBOARD.items()},
    "bench model": (MODEL_QUERY, {"id": LLAMA}),
    "bench propagation": (PROPAGATION_QUERY, {"root": LLAMA, "limit": 300}),
    "bench aggregates": (AGGREGATES_QUERY, {"root": LLAMA}),
    **{f"demo example {n}": (query, {}) for n, (_, query) in enumerate(EXAMPLE_QUERIES)},
    "GraphiQL introspection": (
        get_introspection_query(
            descriptions=True, specified_by_url=True, directive_is_repeatable=True, schema_description=True,
            input_value_deprecation=True,
        ),
        {},
    ),
}


@pytest.fixture(scope="module")
def schema() -> LineageSchema:
    return create_schema(ApiSettings(max_query_tokens=200_000))


@pytest.fixture(scope="module")
def graphql_schema(schema: LineageSchema) -> GraphQLSchema:
    return schema._schema


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[DocumentNode]]:
    """Every document graphql-core's standard validation is run on (through strawberry or the cache)."""
    import strawberry.schema.schema as strawberry_schema

    seen: list[DocumentNode] = []
    real = strawberry_schema.validate_document

    def spy(schema: Any, document: DocumentNode, rules: Any) -> Any:
        seen.append(document)
        return real(schema, document, rules)

    monkeypatch.setattr(strawberry_schema, "validate_document", spy)
    yield seen


def refusal(document: str, graphql_schema: GraphQLSchema, limits: QueryLimits = LIMITS, **kwargs: Any) -> QueryRefused:
    started = time.perf_counter()
    with pytest.raises(QueryRefused) as caught:
        check(parse(document, max_tokens=200_000), graphql_schema, limits, **kwargs)
    assert time.perf_counter() - started < GENEROUS_S
    assert caught.value.extensions is not None and caught.value.extensions["code"] == "BAD_USER_INPUT"
    return caught.value


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_documents_are_refused_naming_the_limit(name: str, graphql_schema: GraphQLSchema) -> None:
    document, limit = HOSTILE[name]
    error = refusal(document, graphql_schema)
    assert error.extensions is not None
    assert error.extensions["limit"] == limit
    assert error.extensions["measured"] > error.extensions["allowed"] == getattr(LIMITS, limit.replace("_query", ""))
    assert f"exceeds the limit {error.extensions['allowed']:,}" in error.message


@pytest.mark.parametrize("levels", [1, 2, 3])
def test_fragments_are_expanded_by_multiplication(levels: int, graphql_schema: GraphQLSchema) -> None:
    measured = check(parse(bomb(levels)), graphql_schema, LIMITS)
    # Fk: two spreads of F(k-1), each counting itself and what it expands to; F0: one field
    expanded = [1]
    for _ in range(levels):
        expanded.append(2 * (1 + expanded[-1]))
    operation = 1 + 1 + expanded[-1]  # model, the spread, the fragment expanded
    assert measured.fields == sum(expanded) + operation
    assert measured.cost == 1 + 2**levels  # model, then 2^levels ids (spreads cost nothing)


@pytest.mark.parametrize("levels", [29, 189])
def test_the_fragment_bomb_is_counted_not_enumerated(levels: int, graphql_schema: GraphQLSchema) -> None:
    # every other limit out of the way: the cost is computed from the memoised fragments
    roomy = QueryLimits(max_fragments=1000, max_fields=10**30, max_cost=1_000)
    error = refusal(bomb(levels), graphql_schema, roomy)
    assert error.extensions is not None and error.extensions["limit"] == "max_query_cost"
    assert error.extensions["measured"] == min(1 + 2**levels, 10**18)
    expected = f"{1 + 2**levels:,}" if levels == 29 else "more than 1,000,000,000,000,000,000"
    assert error.message.startswith(f"the query's cost {expected} exceeds the limit 1,000")
    error = refusal(bomb(levels), graphql_schema, QueryLimits(max_fragments=1000))
    assert error.extensions is not None and error.extensions["limit"] == "max_query_fields"


def test_the_fan_out_repeats_one_field_in_one_selection(graphql_schema: GraphQLSchema) -> None:
    error = refusal(fan_out(50), graphql_schema, QueryLimits(max_fragments=1000))
    assert error.extensions is not None and error.extensions["limit"] == "max_query_repeated_fields"
    assert "'id'" in error.message or "'author'" in error.message


@pytest.mark.parametrize(
    "document",
    [
        f'{{ model(id: "{LLAMA}") {{ ...A }} }} fragment A on Model {{ id ...B }} fragment B on Model {{ ...A }}',
        f'{{ model(id: "{LLAMA}") {{ ...A }} }} fragment A on Model {{ parents {{ edges {{ parent {{ ...A }} }} }} }}',
    ],
)
def test_circular_fragments_are_refused(document: str, graphql_schema: GraphQLSchema) -> None:
    error = refusal(document, graphql_schema)
    assert "fragments may not form cycles" in error.message and "A →" in error.message


def test_a_fragment_defined_twice_is_refused(graphql_schema: GraphQLSchema) -> None:
    document = f'{{ model(id: "{LLAMA}") {{ ...A }} }} fragment A on Model {{ id }} fragment A on Model {{ author }}'
    assert refusal(document, graphql_schema).message == (
        "fragment A is defined more than once; fragment names must be unique"
    )


def test_several_operations_need_an_operation_name(graphql_schema: GraphQLSchema) -> None:
    document = "query Licences { licenses { id } } query Terms { terms { id } }"
    error = refusal(document, graphql_schema)
    assert error.message == "the document has 2 operations; name the one to run with operationName"
    assert check(parse(document), graphql_schema, LIMITS, operation_name="Terms").cost == 1 + LIMITS.list_size
    assert "names no operation" in refusal(document, graphql_schema, operation_name="Nope").message


def test_cost_weighs_lists_by_their_page_size(graphql_schema: GraphQLSchema) -> None:
    def cost(document: str, **variables: Any) -> int:
        return check(parse(document), graphql_schema, LIMITS, variables=variables).cost

    # a list without a page argument counts query_list_size items
    assert cost("{ licenses { id } }") == 1 + LIMITS.list_size * 1
    # a page argument counts its value; the connection's edges are that page, not weighed again
    assert cost("{ models(first: 10) { edges { id } } }") == 1 + 10 * (1 + 1)
    # from a variable, else the operation's default for it, else the schema's default (first: 50)
    paged = "query($n: Int!) { models(first: $n) { edges { id } } }"
    assert cost(paged, n=7) == 1 + 7 * 2
    assert cost("query($n: Int = 3) { models(first: $n) { edges { id } } }") == 1 + 3 * 2
    assert cost("{ models { edges { id } } }") == 1 + 50 * 2
    refused = refusal(paged.replace("edges { id }", "edges { children(first: $n) { edges { child { id } } } }"),
                      graphql_schema, variables={"n": 500})
    assert refused.extensions is not None and refused.extensions["limit"] == "max_query_cost"
    assert refused.message.startswith(f"the query's cost {refused.extensions['measured']:,} exceeds the limit 100,000")


def test_introspection_cannot_nest_its_lists(graphql_schema: GraphQLSchema) -> None:
    document = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    assert "introspection lists nest" in refusal(document, graphql_schema).message


@pytest.mark.parametrize("name", list(LEGITIMATE))
def test_the_repository_s_queries_are_within_budget(name: str, graphql_schema: GraphQLSchema) -> None:
    document, variables = LEGITIMATE[name]
    measured = check(parse(document), graphql_schema, LIMITS, variables=variables)
    assert isinstance(measured, QueryCost) and measured.cost <= LIMITS.max_cost


def _worst_admitted() -> dict[str, str]:
    """The widest, most repeated and deepest documents the default budget admits."""
    leaves = ["id", "author", "status", "declaredLicenseId", "licenseRaw", "licenseName", "pipelineTag", "library",
              "sha", "downloads", "likes", "gated", "params", "stale", "conflictState"]
    repeated = " ".join(leaf for leaf in leaves for _ in range(LIMITS.max_repeated_fields))  # 150 fields
    width = LIMITS.max_fragments
    deepest = nested(2).replace("{ id }", "{ parents { edges { relation confidence validFrom } } }").replace("parents", "parents(first: 3)")
    return {
        "widest fan-out": f'{{ model(id: "{LLAMA}") {{ {" ".join(f"...W{i}" for i in range(width))} }} }} '
        + " ".join(f"fragment W{i} on Model {{ {leaves[i % len(leaves)]} }}" for i in range(width)),
        "most repeated": "{ " + " ".join(f'm{k}: model(id: "{LLAMA}") {{ {repeated} }}' for k in range(6)) + " }",
        "deepest": deepest,
    }


@pytest.mark.parametrize("name", list(_worst_admitted()))
def test_the_worst_admitted_documents_validate_quickly(name: str, graphql_schema: GraphQLSchema) -> None:
    from graphql import specified_rules
    from strawberry.schema.schema import validate_document

    document = parse(_worst_admitted()[name])
    measured = check(document, graphql_schema, LIMITS)  # admitted, at the edge of one limit
    assert LIMITS.max_repeated_fields == measured.repeated_fields or LIMITS.max_depth == measured.depth or (
        name == "widest fan-out"
    )
    started = time.perf_counter()
    assert validate_document(graphql_schema, document, tuple(specified_rules)) == []
    assert time.perf_counter() - started < GENEROUS_S


@pytest.mark.anyio
@pytest.mark.parametrize("name", list(HOSTILE))
async def test_a_refused_document_is_never_validated_nor_run(
    name: str, schema: LineageSchema, validations: list[DocumentNode]
) -> None:
    document, limit = HOSTILE[name]
    started = time.perf_counter()
    result = await schema.execute(document)
    assert time.perf_counter() - started < GENEROUS_S
    assert result.data is None
    assert [(e.extensions or {}).get("limit") for e in result.errors] == [limit]
    assert validations == []


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("name", "limit"),
    [("bomb of 29 levels", "max_query_fields"), ("bomb of 189 levels", "max_query_tokens"),
     ("licenses{id} x 497", "max_query_tokens"), ("1,000 aliases", "max_query_tokens")],
)
async def test_at_the_default_settings_the_token_limit_or_the_budget_refuses(
    name: str, limit: str, validations: list[DocumentNode]
) -> None:
    schema = create_schema(ApiSettings())
    started = time.perf_counter()
    result = await schema.execute(HOSTILE[name][0])
    assert time.perf_counter() - started < GENEROUS_S
    assert result.data is None and validations == []
    (error,) = result.errors
    assert error.extensions is not None and (error.extensions["code"], error.extensions["limit"]) == ("BAD_USER_INPUT", limit)
    if limit == "max_query_tokens":
        assert error.message == (
            "the query's token count exceeds the limit 1,000 (at least 1,001 tokens); send a shorter document"
        )


@pytest.mark.anyio
async def test_two_operations_without_a_name_run_neither(schema: LineageSchema, validations: list[DocumentNode]) -> None:
    result = await schema.execute("query A { __typename } query B { __typename }")
    assert result.data is None and validations == []
    assert [e.message for e in result.errors] == ["the document has 2 operations; name the one to run with operationName"]
    named = await schema.execute("query A { __typename } query B { __typename }", operation_name="B")
    assert named.errors is None and named.data == {"__typename": "Query"}


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("document", "name", "expected"),
    [
        ("query A { __typename }", "B", "operationName 'B' names no operation in the document"),
        ("fragment F on Query { __typename }", None, "the document has no operation to run (only fragments)"),
    ],
)
async def test_a_document_without_the_operation_asked_is_answered_not_raised(
    schema: LineageSchema, validations: list[DocumentNode], document: str, name: str | None, expected: str
) -> None:
    result = await schema.execute(document, operation_name=name)
    assert result.data is None and validations == []
    assert [(e.message, (e.extensions or {}).get("code")) for e in result.errors] == [(expected, "BAD_USER_INPUT")]


@pytest.mark.anyio
async def test_the_caches_stay_capped_under_a_stream_of_distinct_documents() -> None:
    schema = create_schema(ApiSettings())
    (cache,) = [e for e in schema.extensions if isinstance(e, DocumentCache)]
    padding = " " * CACHED_DOCUMENT_CHARS  # whitespace: no tokens, a large document all the same
    for n in range(2000):
        small = f"query Q{n} {{ __typename }}"
        query = small if n % 2 else small + padding
        result = await schema.execute(query)
        assert result.errors is None
        assert len(cache.documents) <= CACHED_DOCUMENTS and len(cache.validations) <= CACHED_DOCUMENTS
    assert len(cache.documents) == CACHED_DOCUMENTS == len(cache.validations)
    assert all(len(query) <= CACHED_DOCUMENT_CHARS for query, _ in cache.validations.keys())
    assert all(len(query) <= CACHED_DOCUMENT_CHARS for query in cache.documents.keys())
    recent = cache.documents.get("query Q1999 { __typename }")  # the latest small documents are kept
    assert recent is not None and cache.documents.get("query Q1 { __typename }") is None


# ---- against the real graph and the real app ----------------------------------------------------


@pytest.mark.integration
@pytest.mark.anyio
async def test_the_dashboard_s_queries_run_within_budget(graph: GraphClient, redis_url: str) -> None:
    settings = api_settings(redis_url)
    variables = {"first": 25, "limit": 300, "root": LLAMA, "id": LLAMA, "search": "llama"}
    for name, query in DASHBOARD.items():
        result = await run_graphql(graph, query, variables, settings=settings, schema=create_schema(settings))
        assert result.errors is None, (name, result.errors)


@pytest.mark.integration
@pytest.mark.anyio
async def test_the_bomb_over_http_is_refused_and_the_api_keeps_answering(
    bundled_graph: BundledGraph, neo4j_settings: Neo4jSettings, redis_url: str
) -> None:
    settings = api_settings(redis_url)
    async with http_client(neo4j_settings, settings) as client:
        for document in (bomb(29), HOSTILE["licenses{id} x 497"][0]):
            started = time.perf_counter()
            answer = await client.post("/graphql", json={"query": document})
            assert time.perf_counter() - started < GENEROUS_S
            errors = answer.json()["errors"]
            assert len(errors) == 1 and errors[0]["extensions"]["code"] == "BAD_USER_INPUT", errors
            assert "exceeds the limit" in errors[0]["message"]
        fine = await client.post("/graphql", json={"query": "{ licenses { id } }"})
        assert fine.status_code == 200 and fine.json()["data"]["licenses"]
