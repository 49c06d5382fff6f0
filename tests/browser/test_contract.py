"""The browser tests' contract (``tests/support/contract.graphql``, executed by the stub API) against
the real GraphQL schema, without a browser or a graph.

* every operation the dashboard sends (read from the served bundle, ``api/dashboard/static/app.js``)
  and every one the API tests send in its name (``tests.support.graphql.DASHBOARD``) validates
  against the real schema and against the contract — so the stub accepts what the real API accepts;
* the tests' copies of the dashboard's operations are the dashboard's own;
* every type, field, argument and enum value of the contract exists in the real schema, with the
  same shape (object types by name; a scalar may stand for an enum and the reverse, as both reach the
  page as JSON strings) — so what the stub answers, the real API can answer.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    is_leaf_type,
    parse,
    print_ast,
    validate,
)
from graphql.pyutils import Undefined

from api.schema import schema as real_schema
from tests.support.graphql import DASHBOARD
from tests.support.stub_api import SCHEMA as CONTRACT

BUNDLE = Path(__file__).resolve().parents[2] / "api" / "dashboard" / "static" / "app.js"
REAL = build_schema(real_schema.as_str())


def bundle_operations() -> dict[str, str]:
    """The GraphQL operations written in the dashboard's bundle (template literals), by name."""
    found = re.findall(r"`((?:query|mutation)\s+(\w+)[^`]*)`", BUNDLE.read_text(encoding="utf-8"))
    return {name: text for text, name in found}


BUNDLED = bundle_operations()
OPERATIONS = {
    **{f"app.js {name}": text for name, text in BUNDLED.items()},
    **{f"DASHBOARD {key}": text for key, text in DASHBOARD.items()},
}


def errors(schema: GraphQLSchema, operation: str) -> list[str]:
    return [error.message for error in validate(schema, parse(operation))]


def test_the_bundle_holds_the_dashboard_s_six_queries() -> None:
    assert sorted(BUNDLED) == ["DashboardChanges", "DashboardModel", "DashboardPickers", "DashboardPropagation",
                               "DashboardRuleConflicts", "DashboardSearch"]


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_the_dashboard_s_operations_validate_against_the_real_schema_and_the_contract(name: str) -> None:
    operation = OPERATIONS[name]
    assert errors(REAL, operation) == [], "the real API refuses it"
    assert errors(CONTRACT, operation) == [], "the stub API refuses it"


def test_the_tests_send_the_dashboard_s_own_queries() -> None:
    ours = {parse(text).definitions[0].name.value: print_ast(parse(text)) for text in DASHBOARD.values()}  # type: ignore[attr-defined]
    assert ours == {name: print_ast(parse(text)) for name, text in BUNDLED.items()}


def _shape(type_: object) -> tuple[list[str], GraphQLNamedType]:
    """The wrappers (list, non-null) from the outside in, and the named type inside."""
    wrappers: list[str] = []
    while isinstance(type_, (GraphQLList, GraphQLNonNull)):
        wrappers.append("list" if isinstance(type_, GraphQLList) else "non-null")
        type_ = type_.of_type
    assert isinstance(type_, GraphQLNamedType)
    return wrappers, type_


def _type_mismatch(contract_type: object, real_type: object) -> str | None:
    contract_wrappers, contract_named = _shape(contract_type)
    real_wrappers, real_named = _shape(real_type)
    same_named = contract_named.name == real_named.name or (is_leaf_type(contract_named) and is_leaf_type(real_named))
    if contract_wrappers == real_wrappers and same_named:
        return None
    return f"{contract_type} in the contract, {real_type} in the real schema"


def _field_problems(where: str, contract: GraphQLField, real: GraphQLField) -> list[str]:
    problems = []
    if mismatch := _type_mismatch(contract.type, real.type):
        problems.append(f"{where}: {mismatch}")
    for arg_name, arg in contract.args.items():
        real_arg = real.args.get(arg_name)
        if real_arg is None:
            problems.append(f"{where}({arg_name}:): argument missing from the real schema")
            continue
        real_arg_type = real_arg.type
        if _has_default(real_arg) and isinstance(real_arg_type, GraphQLNonNull) and not isinstance(arg.type, GraphQLNonNull):
            # may be left out of both; only an explicit null differs (the operations above never send one)
            real_arg_type = real_arg_type.of_type
        if mismatch := _type_mismatch(arg.type, real_arg_type):
            problems.append(f"{where}({arg_name}:): {mismatch}")
    return problems


def _has_default(arg: GraphQLArgument) -> bool:
    return arg.default_value is not Undefined or (arg.ast_node is not None and arg.ast_node.default_value is not None)


def contract_problems(contract: GraphQLSchema, real: GraphQLSchema) -> list[str]:
    """What the contract declares that the real schema does not have, or has in another shape."""
    problems: list[str] = []
    for name, contract_type in sorted(contract.type_map.items()):
        if name.startswith("__"):
            continue
        real_type = real.type_map.get(name)
        if real_type is None:
            problems.append(f"{name}: type missing from the real schema")
        elif type(real_type) is not type(contract_type):
            problems.append(f"{name}: {type(contract_type).__name__} in the contract, {type(real_type).__name__} in the real schema")
        elif isinstance(contract_type, GraphQLEnumType):
            missing = sorted(set(contract_type.values) - set(real_type.values))  # type: ignore[attr-defined]
            problems.extend(f"{name}.{value}: enum value missing from the real schema" for value in missing)
        elif isinstance(contract_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            real_fields = real_type.fields  # type: ignore[attr-defined]
            for field_name, field in contract_type.fields.items():
                where = f"{name}.{field_name}"
                if field_name not in real_fields:
                    problems.append(f"{where}: field missing from the real schema")
                elif isinstance(field, GraphQLField):
                    problems.extend(_field_problems(where, field, real_fields[field_name]))
                elif mismatch := _type_mismatch(field.type, real_fields[field_name].type):
                    problems.append(f"{where}: {mismatch}")
    return problems


def test_every_type_field_and_argument_of_the_contract_exists_in_the_real_schema() -> None:
    assert contract_problems(CONTRACT, REAL) == []


def test_the_check_reports_what_the_real_schema_lacks() -> None:
    drifted = build_schema(
        "enum Relation { FINETUNE SPLICE } type Model { id: ID!  colour: String  parents(relation: Relation, "
        "since: Int): [Model!]! } type Query { model(id: ID!): Model  roots: [Model] } type Missing { id: ID! }"
    )
    assert contract_problems(drifted, REAL) == [
        "Missing: type missing from the real schema",
        "Model.colour: field missing from the real schema",
        "Model.parents: [Model!]! in the contract, DerivationConnection! in the real schema",
        "Model.parents(since:): argument missing from the real schema",
        "Query.roots: [Model] in the contract, RootConnection! in the real schema",
        "Relation.SPLICE: enum value missing from the real schema",
    ]
