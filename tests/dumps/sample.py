"""Hand-written rows in the shape of the Hub's public metadata dump (hub-stats ``models.parquet``), and a writer of
Parquet files from them. ``cardData`` is JSON text, as in the dump; ``HUB_ITEMS`` are the same models as the Hub's
listing JSON (what ``list_models(expand=…)`` returns), the input of the direct path the import must equal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["BAD_ROWS", "CLEAN_ROWS", "HUB_ITEMS", "SCHEMA", "write_dump"]

ROOT = "meta-llama/Llama-3.1-8B"
SCHEMA = pa.schema([
    ("id", pa.string()), ("author", pa.string()), ("sha", pa.string()),
    ("createdAt", pa.timestamp("ms", tz="UTC")), ("lastModified", pa.timestamp("ms", tz="UTC")),
    ("private", pa.bool_()), ("gated", pa.string()), ("disabled", pa.bool_()),
    ("downloads", pa.int64()), ("downloadsAllTime", pa.int64()), ("likes", pa.int64()), ("trendingScore", pa.float64()),
    ("library_name", pa.string()), ("pipeline_tag", pa.string()), ("tags", pa.list_(pa.string())),
    ("cardData", pa.string()), ("baseModels", pa.string()),
    ("safetensors", pa.struct([("parameters", pa.map_(pa.string(), pa.int64())), ("total", pa.int64())])),
])  # fmt: skip

_T0 = datetime(2024, 7, 23, 15, 0, tzinfo=UTC)
_T1 = datetime(2024, 9, 25, 14, 34, 12, tzinfo=UTC)


def _row(model_id: str | None, tags: list[str], card: dict[str, Any] | str | None = None, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": model_id, "author": model_id.split("/")[0] if model_id and "/" in model_id else None,
        "sha": "0e9e39f249a16976918f6564b8830bc894c89659", "createdAt": _T0, "lastModified": _T1,
        "private": False, "gated": "false", "disabled": False, "downloads": 120, "downloadsAllTime": 4000,
        "likes": 3, "trendingScore": 0.5, "library_name": "transformers", "pipeline_tag": "text-generation",
        "tags": tags, "cardData": card if card is None or isinstance(card, str) else json.dumps(card),
        "baseModels": None, "safetensors": None,
    }  # fmt: skip
    row.update(extra)
    return row


CLEAN_ROWS: list[dict[str, Any]] = [
    _row(ROOT, ["transformers", "license:llama3.1", "text-generation"], {"license": "llama3.1"}, gated="manual",
         safetensors={"parameters": [("BF16", 8030261248)], "total": 8030261248}, downloads=5_000_000),
    _row("alice/llama-ft", [f"base_model:{ROOT}", f"base_model:finetune:{ROOT}", "license:llama3.1"],
         {"base_model": ROOT, "license": "llama3.1"}),  # base model via tags (and the card agreeing)
    _row("bob/card-only", ["license:apache-2.0"],
         {"base_model": "alice/llama-ft", "base_model_relation": "adapter", "license": "apache-2.0"}),  # card only
    _row("carol/base-models-only", ["gguf"], None,
         baseModels=json.dumps({"relation": "quantized", "models": [{"id": "alice/llama-ft"}]})),
    _row("dave/other-license", ["license:other"],
         {"license": "other", "license_name": "dave-community", "license_link": "https://example.com/LICENSE"}),
    _row("frank/gated-auto", ["license:mit"], {"license": "mit"}, gated="auto"),
    _row("grace/dup", ["license:mit"], {"license": "mit"}),
    _row("heidi/merge", [f"base_model:merge:alice/llama-ft", f"base_model:merge:{ROOT}"],
         {"base_model": ["alice/llama-ft", ROOT]}),
    _row("ivan/self", ["base_model:finetune:ivan/self"]),
    _row("judy/plain", []),
    _row("grace/dup", ["license:apache-2.0"], {"license": "apache-2.0"}, downloads=999),  # again, in a later batch
]  # fmt: skip
"""Rows a clean import reads without any problem of its own (the parser's own problems aside)."""

BAD_ROWS: list[dict[str, Any]] = [
    _row("erin/malformed-card", [f"base_model:finetune:{ROOT}"], "{license: mit"),  # cardData not JSON
    _row(None, ["license:mit"], {"license": "mit"}),  # no id
    _row("not a valid/id/at all", ["license:mit"]),  # invalid id
    _row("kim/bad-base-models", [], None, baseModels="{\"relation\": \"finetune\", \"models\": 3}"),
]


def _as_hub_json(row: dict[str, Any]) -> dict[str, Any]:
    """The same model as the Hub API's JSON (what observe_listed reads in a sweep)."""
    item = {k: v for k, v in row.items() if v is not None and k not in ("baseModels", "cardData", "safetensors")}
    for key in ("createdAt", "lastModified"):
        item[key] = row[key].strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if row["cardData"] is not None:
        item["cardData"] = json.loads(row["cardData"])
    if row["safetensors"] is not None:
        item["safetensors"] = {"parameters": dict(row["safetensors"]["parameters"]), "total": row["safetensors"]["total"]}
    if row["baseModels"] is not None:  # what the Hub lists as tags for the same card
        base = json.loads(row["baseModels"])
        item["tags"] = [*row["tags"], *(f"base_model:{base['relation']}:{m['id']}" for m in base["models"])]
    return item


HUB_ITEMS: list[dict[str, Any]] = [_as_hub_json(row) for row in CLEAN_ROWS]


def write_dump(path: Path, rows: list[dict[str, Any]], *, schema: pa.Schema = SCHEMA, row_group_size: int | None = None,
               metadata: dict[str, str] | None = None) -> Path:
    """``rows`` as a Parquet file at ``path`` (key-value ``metadata`` in the footer, if given)."""
    table = pa.Table.from_pylist(rows, schema=schema)
    if metadata:
        table = table.replace_schema_metadata(metadata)
    pq.write_table(table, path, row_group_size=row_group_size)
    return path
