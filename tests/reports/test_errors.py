"""The one error-to-answer table: most specific class first, and the same answer on every surface."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.errors import ApiError, translated
from graph.errors import GraphError, GraphTimeout, GraphUnavailable, InvalidArgument, ModelNotFound, NotKnownAtInstant
from graph.sha256 import is_sha256, normalise_sha256
from reports.dossier.errors import InvalidAsOf, UnknownFile
from reports.errors import ANSWERS, answer_for
from terms.deadline import DeadlineExceeded


def test_no_entry_is_hidden_behind_a_broader_one() -> None:
    for position, (kind, _) in enumerate(ANSWERS):
        for earlier, _ in ANSWERS[:position]:
            assert not issubclass(kind, earlier), f"{kind.__name__} comes after its base {earlier.__name__}"


@pytest.mark.parametrize(
    ("error", "code", "status", "graphql_code", "exit_code"),
    [
        (InvalidAsOf("asOf is in the future"), "invalid_as_of", 422, "BAD_USER_INPUT", 2),
        (InvalidArgument("first must be between 1 and 500"), "invalid_argument", 422, "BAD_USER_INPUT", 2),
        (UnknownFile("a" * 64), "file_not_found", 404, "NOT_FOUND", 1),
        (NotKnownAtInstant("org/m", datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)),
         "not_yet_known", 404, "NOT_KNOWN_AT_INSTANT", 1),
        (ModelNotFound("org/m"), "model_not_found", 404, "NOT_FOUND", 1),
        (GraphTimeout("slow"), "timeout", 504, "TIMEOUT", 1),
        (DeadlineExceeded("late"), "timeout", 504, "TIMEOUT", 1),
        (TimeoutError(), "timeout", 504, "TIMEOUT", 1),
        (GraphUnavailable("bolt://secret-host:7687 refused"), "graph_unavailable", 503, "SERVICE_UNAVAILABLE", 1),
    ],
)
def test_each_domain_error_has_one_answer(error: Exception, code: str, status: int, graphql_code: str,
                                          exit_code: int) -> None:
    answer = answer_for(error)
    assert answer is not None
    assert (answer.code, answer.http_status, answer.graphql_code, answer.exit_code) == (
        code, status, graphql_code, exit_code)
    with pytest.raises(ApiError) as raised, translated():
        raise error
    assert raised.value.extensions == {"code": graphql_code, **answer.details(error)}
    assert raised.value.message == answer.message(error)


def test_not_known_at_an_instant_says_since_when_on_every_surface() -> None:
    error = NotKnownAtInstant("org/m", datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
    answer = answer_for(error)
    assert answer is not None
    assert answer.message(error) == "org/m is not known before 2025-03-01T00:00:00+00:00 (asOf 2025-01-01T00:00:00+00:00)"
    details = {"knownSince": "2025-03-01T00:00:00+00:00", "asOf": "2025-01-01T00:00:00+00:00", "modelId": "org/m"}
    assert answer.details(error) == details
    with pytest.raises(ApiError) as raised, translated():
        raise error
    assert raised.value.extensions == {"code": "NOT_KNOWN_AT_INSTANT", **details}
    # an error whose text is not shown shows no details either
    assert answer_for(GraphUnavailable("x")).details(GraphUnavailable("x")) == {}  # type: ignore[union-attr]


def test_server_details_never_reach_a_client() -> None:
    error = GraphUnavailable("bolt://secret-host:7687 refused")
    answer = answer_for(error)
    assert answer is not None and "secret-host" not in answer.message(error)


def test_other_errors_stay_internal() -> None:
    assert answer_for(KeyError("x")) is None
    with pytest.raises(KeyError), translated():
        raise KeyError("x")
    refused = answer_for(GraphError("constraint"))
    assert refused is not None and not refused.public
    with pytest.raises(GraphError), translated():
        raise GraphError("constraint")


@pytest.mark.parametrize("value", ["a" * 64, "A" * 64, f" {'0' * 64} "])
def test_a_sha256_is_64_hex_digits_in_any_case(value: str) -> None:
    assert is_sha256(value)
    assert normalise_sha256(value) == value.strip().lower()


@pytest.mark.parametrize("value", ["", "a" * 63, "a" * 65, "g" * 64, "a" * 32 + " " + "a" * 31])
def test_anything_else_is_refused(value: str) -> None:
    assert not is_sha256(value)
    with pytest.raises(InvalidArgument):
        normalise_sha256(value)
