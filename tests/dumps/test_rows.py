"""dumps.rows: one dump row as the Hub's JSON, bad values left out and described (no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from huggingface_hub import ModelInfo

from crawler.observations import ProblemKind
from dumps.columns import find_columns
from dumps.rows import hub_item, model_info

COLUMNS = {"id": "id", "tags": "tags", "cardData": "cardData", "baseModels": "baseModels", "downloads": "downloads",
           "createdAt": "created_at", "gated": "gated", "safetensors": "safetensors"}  # fmt: skip


def _item(**row: Any) -> tuple[dict[str, Any] | None, list[tuple[ProblemKind, str]]]:
    item, problems = hub_item({"tags": [], **row}, COLUMNS)
    return item, [(p.kind, p.message) for p in problems]


def test_a_clean_row_is_the_hub_json_with_times_as_utc_datetimes() -> None:
    item, problems = _item(id="a/b", tags=["license:mit"], cardData='{"license": "mit", "base_model": null}',
                           created_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), downloads=7, gated=False)
    assert problems == []
    assert item == {"id": "a/b", "tags": ["license:mit"], "cardData": {"license": "mit"},
                    "createdAt": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "downloads": 7, "gated": False}


def test_a_struct_card_loses_its_null_fields_and_a_map_becomes_an_object() -> None:
    item, _ = _item(id="a/b", cardData={"license": None, "base_model": "x/y"},
                    safetensors={"parameters": [("F16", 10)], "total": 10})
    assert item is not None
    assert item["cardData"] == {"base_model": "x/y"}
    assert item["safetensors"] == {"parameters": {"F16": 10}, "total": 10}


@pytest.mark.parametrize("raw_id", [None, "", "a/b/c", "has space/x", 12])
def test_a_row_without_a_valid_id_gives_no_item_and_one_problem(raw_id: object) -> None:
    item, problems = _item(id=raw_id)
    assert item is None
    assert [kind for kind, _ in problems] == [ProblemKind.INVALID_REPO_ID]


def test_bad_values_are_left_out_and_each_is_described() -> None:
    item, problems = _item(id="a/b", tags="license:mit", cardData="{not json", downloads="12", gated="sometimes",
                           created_at="yesterday", safetensors={"total": 3})
    assert item == {"id": "a/b"}
    messages = [m for _, m in problems]
    assert len(messages) == 6
    for fragment in ("tags is a str", "cardData is not JSON", "downloads is a str", "gated is 'sometimes'",
                     "createdAt is not an ISO 8601", "safetensors lacks"):
        assert any(fragment in m for m in messages), (fragment, messages)


def test_a_card_that_is_json_but_not_an_object_is_a_problem() -> None:
    item, problems = _item(id="a/b", cardData="[1, 2]")
    assert item == {"id": "a/b", "tags": []}
    assert problems == [(ProblemKind.MALFORMED_CARD, "cardData is a list, not an object: [1, 2]")]


def test_base_models_become_the_tags_the_hub_would_list_when_the_tags_have_none() -> None:
    item, _ = _item(id="a/b", tags=["gguf"], baseModels='{"relation": "quantized", "models": [{"id": "x/base"}]}')
    assert item is not None and item["tags"] == ["gguf", "base_model:quantized:x/base"]
    item, _ = _item(id="a/b", baseModels={"relation": None, "models": ["x/base"]})
    assert item is not None and item["tags"] == ["base_model:x/base"]


def test_base_models_are_not_read_when_the_tags_already_name_a_base() -> None:
    item, _ = _item(id="a/b", tags=["base_model:finetune:x/one"], baseModels='{"relation": "merge", "models": [{"id": "x/two"}]}')
    assert item is not None and item["tags"] == ["base_model:finetune:x/one"]


def test_unreadable_base_models_are_a_problem() -> None:
    item, problems = _item(id="a/b", baseModels='{"relation": "finetune", "models": [{"id": "bad id"}]}')
    assert item == {"id": "a/b", "tags": []}
    assert [k for k, _ in problems] == [ProblemKind.INVALID_BASE_MODEL]


def test_the_real_dump_names_and_snake_case_names_map_to_the_same_keys() -> None:
    camel, missing = find_columns(["id", "tags", "cardData", "createdAt", "lastModified", "downloadsAllTime"])
    snake, _ = find_columns(["modelId", "tags", "card_data", "created_at", "last_modified"])
    assert missing == []
    assert camel.keys() == snake.keys() == {"id", "tags", "cardData", "createdAt", "lastModified"}
    assert find_columns(["modelId", "likes"])[1] == ["tags"]
    assert find_columns(["likes"])[1] == ["id or modelId", "tags"]


def test_model_info_gets_the_times_the_hub_text_would_give() -> None:
    text = {"id": "a/b", "createdAt": "2024-01-02T03:04:05.000Z", "lastModified": "2024-02-02T00:00:00.000Z"}
    item, _ = hub_item({"id": "a/b", "tags": [], "created_at": text["createdAt"]}, COLUMNS)
    assert item is not None
    parsed = model_info({**item, "lastModified": datetime(2024, 2, 2, tzinfo=UTC)})
    expected = ModelInfo(**text)
    assert (parsed.created_at, parsed.last_modified, parsed.lastModified) == (
        expected.created_at, expected.last_modified, expected.lastModified)


def test_json_null_text_is_no_value_not_a_problem() -> None:
    assert _item(id="a/b", cardData="null", baseModels="null") == ({"id": "a/b", "tags": []}, [])
