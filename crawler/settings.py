"""Settings of the crawler: which hub, which token, how patient, how much to read.

Environment variables: ``HF_ENDPOINT`` and ``HF_TOKEN`` (the names huggingface_hub uses),
everything else ``LINEAGE_CRAWLER_<FIELD>`` (e.g. ``LINEAGE_CRAWLER_MAX_RETRIES=6``).
The token is a :class:`~pydantic.SecretStr`: it is never printed, logged or put in a report.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_ENDPOINT", "CrawlerSettings", "EvidenceOrigin"]

DEFAULT_ENDPOINT = "https://huggingface.co"


class EvidenceOrigin(BaseModel):
    """The public hub a mirror or replay hub serves: evidence cites it instead of the endpoint."""

    origin: str = Field(description="Public base URL, e.g. https://huggingface.co.")
    excludes: tuple[str, ...] = Field(
        default=(), description="Repo-id prefixes that do not exist at the origin (constructed fixtures)."
    )


class CrawlerSettings(BaseSettings):
    """How :class:`crawler.source.HubSource` talks to a hub."""

    model_config = SettingsConfigDict(env_prefix="LINEAGE_CRAWLER_", extra="forbid", populate_by_name=True)

    endpoint: str = Field(
        default=DEFAULT_ENDPOINT,
        validation_alias=AliasChoices("endpoint", "HF_ENDPOINT"),
        description="Base URL of the hub: the live Hub, or a replay hub such as http://127.0.0.1:8765.",
    )
    token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("token", "HF_TOKEN"),
        description="Hub access token, for gated repos on the live Hub. Never logged.",
    )
    timeout_s: float = Field(default=30.0, gt=0, description="Timeout of one HTTP request to the hub, in seconds.")
    max_retries: int = Field(
        default=4, ge=0, le=20, description="Retries after the first attempt for 429, 5xx and timeouts."
    )
    backoff_base_s: float = Field(
        default=1.0, ge=0, description="First backoff delay for 5xx/timeouts; doubles on each retry."
    )
    backoff_max_s: float = Field(default=60.0, ge=0, description="Upper bound of one backoff delay, in seconds.")
    max_retry_after_s: float = Field(
        default=600.0, ge=0, description="Longest Retry-After (429) we honour; longer waits are capped to this."
    )
    files_metadata: bool = Field(
        default=True,
        description=(
            "Ask model_info for file metadata (blobs=true): sizes and LFS sha256 of every file, in the same single "
            "request. When false, model_info uses an expand list instead (file names only, plus provider mappings)."
        ),
    )
    fetch_files: bool = Field(
        default=True,
        description=(
            "Download small repo files (adapter_config.json, mergekit_config.yml, config.json, README.md) when a "
            "model declares no base model, to infer lineage."
        ),
    )
    name_search: bool = Field(
        default=True,
        description=(
            "For an undeclared repo named like a quantization (…-GGUF, …-AWQ), search the hub once for the "
            "stripped name and accept the parent only when exactly one other repo has that exact name."
        ),
    )
    max_file_bytes: int = Field(
        default=256 * 1024, ge=1024, description="Largest JSON/YAML file fetched for inference, in bytes."
    )
    max_card_bytes: int = Field(
        default=512 * 1024, ge=1024, description="Largest model card (README.md) read, in bytes; the rest is ignored."
    )
    max_siblings: int = Field(
        default=5000, ge=1, description="Most files of one repo turned into FileSeen; the rest are counted, not kept."
    )
    memo_models: int = Field(
        default=512,
        ge=0,
        description=(
            "Models one source keeps after fetching them (least recently used dropped first), so later calls of "
            "the same source do not ask the hub again; 0 disables. Transient failures are never kept."
        ),
    )
    max_up_depth: int = Field(default=24, ge=0, description="Most generations followed upwards from a seed.")
    max_up_models: int = Field(default=500, ge=1, description="Most models fetched by one upward crawl.")
    default_depth: int = Field(default=1, ge=0, description="Levels of children listed when none is given.")
    default_breadth: int = Field(
        default=1000, ge=1, description="Most children listed per parent and relation when none is given."
    )
    page_size: int = Field(
        default=1000, ge=1, le=1000, description="Models or Spaces asked for per list request (the Hub's limit)."
    )
    max_children_models: int = Field(
        default=20000, ge=1, description="Most models one downward crawl yields in total."
    )
    deployments_from_metadata: bool = Field(
        default=True,
        description=(
            "Turn the Space ids and inference-provider mappings that model metadata already carries (model_info, "
            "children listings) into DeploymentSeen, without extra requests."
        ),
    )
    history: bool = Field(
        default=False,
        description=(
            "On a deep crawl of a named model, also read its commit history and the card at each revision that "
            "changed it, so that licence and base-model declarations are dated by the commit that made them "
            "(see crawler.history). Crawl jobs of named models and the bundled crawl turn it on; listing sweeps "
            "never do."
        ),
    )
    max_history_commits: int = Field(
        default=100,
        ge=1,
        description="Most commits of one repo examined for its history, newest first (older ones are not read).",
    )
    max_spaces: int = Field(default=1000, ge=0, description="Most Spaces listed per model by iter_deployers.")
    evidence_origins: dict[str, EvidenceOrigin] = Field(
        default_factory=dict,
        description=(
            "Per endpoint that mirrors or replays a public hub, the origin its evidence cites, as JSON: "
            '{"http://127.0.0.1:8765": {"origin": "https://huggingface.co", "excludes": ["lineage-fixtures/"]}}. '
            "Requests still go to the endpoint; only the URLs written as evidence change."
        ),
    )
    cache_dir: Path | None = Field(
        default=None,
        description="Where downloaded small files are cached; a temporary directory (removed on close) when unset.",
    )

    def public_url(self, url: str) -> str:
        """``url`` (read from the endpoint) as the public URL of the same record, where the endpoint has an origin."""
        base = self.endpoint.rstrip("/")
        target = self.evidence_origins.get(base) or self.evidence_origins.get(f"{base}/")
        if target is None or not url.startswith(f"{base}/"):
            return url
        rest = url[len(base) :]
        if any(f"/{prefix}" in rest for prefix in target.excludes):
            return url
        return target.origin.rstrip("/") + rest

    def redacted(self) -> dict[str, object]:
        """The settings as a dict safe to print or log (the token shows only whether it is set)."""
        data = self.model_dump()
        data["token"] = "**********" if self.token is not None else None
        return data
