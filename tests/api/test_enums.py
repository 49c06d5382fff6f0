"""The GraphQL enums are the domain's own classes, registered under the contract's names."""

from __future__ import annotations

import enum

import pytest
from graphql import GraphQLEnumType, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLType

import api.enums
from api.schema import schema
from crawler import observations
from terms.licenses import CommercialStatus
from terms.propagation import result, rules

DOMAIN = {
    "Relation": observations.Relation,
    "ModelStatus": observations.ModelStatus,
    "DeploymentKind": observations.DeploymentKind,
    "Severity": rules.Severity,
    "ConflictState": rules.ConflictState,
    "CommercialStatusKind": result.CommercialOutcome,
    "Role": result.Role,
}


@pytest.mark.parametrize("name", sorted(DOMAIN))
def test_each_graphql_enum_is_the_domain_class_itself(name: str) -> None:
    domain = DOMAIN[name]
    assert getattr(api.enums, name) is domain
    assert issubclass(domain, enum.StrEnum)
    exposed = schema._schema.type_map[name]
    assert isinstance(exposed, GraphQLEnumType)
    assert list(exposed.values) == [member.name for member in domain]


def _named(field_type: GraphQLType) -> GraphQLType:
    while isinstance(field_type, GraphQLNonNull | GraphQLList):
        field_type = field_type.of_type
    return field_type


def _field_type(type_name: str, field: str) -> GraphQLType:
    owner = schema._schema.type_map[type_name]
    assert isinstance(owner, GraphQLObjectType)
    return owner.fields[field].type


def test_deployment_kind_is_the_non_null_deployment_kind_enum() -> None:
    kind = _field_type("Deployment", "kind")
    assert isinstance(kind, GraphQLNonNull)
    assert _named(kind) is schema._schema.type_map["DeploymentKind"]


def test_a_responsibility_steps_relation_is_the_nullable_relation_enum() -> None:
    relation = _field_type("ResponsibilityStep", "relation")
    assert not isinstance(relation, GraphQLNonNull)
    assert relation is schema._schema.type_map["Relation"]


def test_a_responsibility_steps_role_is_the_non_null_role_enum_with_the_unknown_parent_and_user_roles() -> None:
    role = _field_type("ResponsibilityStep", "role")
    assert isinstance(role, GraphQLNonNull)
    exposed = _named(role)
    assert exposed is schema._schema.type_map["Role"]
    assert isinstance(exposed, GraphQLEnumType)
    assert {"PARENT_NOT_RECORDED", "USER", "LICENSOR"} <= set(exposed.values)


def test_members_answer_by_name() -> None:
    relation = schema._schema.type_map["Relation"]
    assert isinstance(relation, GraphQLEnumType)
    assert relation.serialize(observations.Relation.FINETUNE) == "FINETUNE"
    assert relation.parse_value("QUANTIZED") is observations.Relation.QUANTIZED


@pytest.mark.parametrize("status", list(CommercialStatus))
def test_every_declared_licence_status_answers_as_a_commercial_status_kind(status: CommercialStatus) -> None:
    expected = "research_only" if status is CommercialStatus.NON_PRODUCTION else status.value
    assert api.enums.CommercialStatusKind.of(status) is result.CommercialOutcome(expected)
