"""Observations survive the trip through JSON that tasks use between queues."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from crawler.observations import (
    AliasSeen,
    DatedDeclaration,
    DeclarationHistory,
    DeclaredBase,
    DeclaredLicense,
    DeploymentKind,
    DeploymentSeen,
    DerivationSeen,
    EvidenceKind,
    FileSeen,
    GateState,
    ModelSeen,
    ModelStatus,
    Observation,
    ProblemKind,
    ProblemSeen,
    Relation,
    Source,
)
from hubreplay.serve import ReplayServer
from crawler.settings import CrawlerSettings
from crawler.source import HubSource
from workers.errors import PayloadError
from workers.serialize import dumps, from_json, loads, to_json

SOURCE = Source("http://hub.test/api/models/org/m", "a" * 40, datetime(2025, 3, 1, 12, 30, 5, 123456, tzinfo=UTC))


def _every_kind() -> list[Observation]:
    plus_two = timezone(timedelta(hours=2))
    return [
        ModelSeen(
            "org/m", SOURCE, ModelStatus.AVAILABLE, "org",
            DeclaredLicense("llama3.1", link="LICENSE", written_as='["llama3.1"]'), "text-generation",
            "transformers", datetime(2024, 1, 2, tzinfo=plus_two), datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
            "b" * 40, 12, 3, GateState.MANUAL, 8_030_261_248, "safetensors total", 1.5e24, ("a", "b:c"), ("ds/one",),
        ),
        ModelSeen("org/gone", SOURCE, status=ModelStatus.DELETED),
        DerivationSeen("org/m", "org/base", Relation.QUANTIZED, EvidenceKind.GGUF_METADATA, "general.base_model.0", 0.8,
                       SOURCE),
        DeploymentSeen("space:u/s", DeploymentKind.SPACE, "org/m", "u", None, "http://hub.test/spaces/u/s", SOURCE),
        FileSeen("org/m", "model.gguf", 4_000_000_000, "c" * 64, SOURCE),
        FileSeen("org/m", "README.md", None, None, SOURCE),
        AliasSeen("org/old", "org/m", SOURCE),
        ProblemSeen("org/m", ProblemKind.CARD_TAG_DISAGREE, "card says x, tags say y — «quoted»", SOURCE),
        DeclarationHistory("org/m", (
            DatedDeclaration("d" * 40, "http://hub.test/org/m/resolve/dddd/README.md", datetime(2024, 8, 1, tzinfo=UTC),
                             datetime(2024, 10, 15, 9, 30, tzinfo=UTC), None),
            DatedDeclaration("e" * 40, "http://hub.test/org/m/resolve/eeee/README.md",
                             datetime(2024, 10, 15, 9, 30, tzinfo=UTC), None, DeclaredLicense("llama3.1"),
                             (DeclaredBase("org/base", Relation.ADAPTER),)),
        ), SOURCE, complete=False),
    ]


def test_every_observation_kind_round_trips_exactly() -> None:
    observations = _every_kind()
    text = dumps(observations)
    assert loads(text) == observations
    # plain JSON: no pickles, enums as their values, times as ISO 8601 with their offset
    raw = json.loads(text)
    assert raw[0]["type"] == "ModelSeen" and raw[0]["gated"] == "manual"
    assert raw[0]["created_at"] == "2024-01-02T00:00:00+02:00"
    assert raw[2]["relation"] == "quantized" and raw[2]["confidence"] == 0.8


def test_an_integer_confidence_comes_back_as_a_float() -> None:
    data = to_json(_every_kind()[2])
    data["confidence"] = 1
    restored = from_json(data)
    assert isinstance(restored, DerivationSeen)
    assert restored.confidence == 1.0 and isinstance(restored.confidence, float)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "Bogus"}, "unknown observation type"),
        ({"relation": "sideways"}, "not a Relation"),
        ({"extra": 1}, "unknown fields"),
        ({"confidence": "high"}, "expected float"),
        ({"source": {"url": "u", "revision": None, "observed_at": "yesterday"}}, "ISO 8601"),
    ],
)
def test_bad_payloads_are_refused_with_a_reason(change: dict[str, object], message: str) -> None:
    data = {**to_json(_every_kind()[2]), **change}
    with pytest.raises(PayloadError, match=message):
        from_json(data)


def test_loads_refuses_what_is_not_an_array_of_observations() -> None:
    with pytest.raises(PayloadError):
        loads("{not json")
    with pytest.raises(PayloadError):
        loads('{"type": "ModelSeen"}')


def test_what_the_crawler_yields_for_real_families_round_trips(hub: ReplayServer) -> None:
    with HubSource(CrawlerSettings(endpoint=hub.url)) as source:
        observations = [
            *source.iter_up("HuggingFaceH4/zephyr-7b-beta"),
            *source.iter_children("mistralai/Mistral-7B-v0.1", depth=1, breadth=50),
            *source.iter_deployers("meta-llama/Llama-3.1-8B-Instruct"),
        ]
    assert {type(o).__name__ for o in observations} >= {"ModelSeen", "DerivationSeen", "FileSeen", "DeploymentSeen"}
    assert loads(dumps(observations)) == observations
