"""Settings of the workers package: the Redis broker, how tasks behave, and how crawls use the hub."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["HubRate", "WorkerSettings"]


class HubRate(BaseModel):
    """The shared request budget of every worker against one hub endpoint."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rate: float = Field(gt=0, description="Requests per second, refilled continuously, shared by all workers.")
    burst: int = Field(ge=1, description="Requests that may go out at once after a quiet spell.")


class WorkerSettings(BaseSettings):
    """Celery on Redis and the crawl pipeline. Variables: REDIS_URL and LINEAGE_* (see each field)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        validation_alias="REDIS_URL",
        description="Redis used as Celery broker, result backend, job counters and the shared rate limit.",
    )
    result_ttl_s: int = Field(
        default=86_400, ge=60, validation_alias="LINEAGE_RESULT_TTL_S", description="How long task results are kept."
    )
    visibility_timeout_s: int = Field(
        default=3_600,
        ge=5,
        validation_alias="LINEAGE_VISIBILITY_TIMEOUT_S",
        description=(
            "Seconds before an unacknowledged task (its worker died) is redelivered to another worker. Must exceed "
            "the longest task and the longest retry countdown, or healthy tasks run twice (harmless, idempotent)."
        ),
    )
    restore_check_s: int = Field(
        default=100,
        ge=1,
        validation_alias="LINEAGE_RESTORE_CHECK_S",
        description="Seconds between a worker's sweeps for unacknowledged tasks past the visibility timeout.",
    )
    publish_patience_s: float = Field(
        default=30.0,
        ge=0,
        validation_alias="LINEAGE_PUBLISH_PATIENCE_S",
        description="How long sending a task keeps retrying while the broker is unreachable (e.g. restarting).",
    )
    redis_patience_s: float = Field(
        default=30.0,
        ge=0,
        validation_alias="LINEAGE_REDIS_PATIENCE_S",
        description="How long a job-store or rate-limit call keeps retrying while Redis is unreachable.",
    )
    # -- the crawl pipeline -------------------------------------------------------------------
    hub_endpoint: str = Field(
        default="https://huggingface.co",
        validation_alias="HF_ENDPOINT",
        description="Hub a crawl request asks when it names none (the live Hub, or a replay hub's URL).",
    )
    hub_rate: HubRate = Field(
        default=HubRate(rate=5.0, burst=10),
        validation_alias="LINEAGE_HUB_RATE",
        description='Shared rate limit for a hub endpoint not named in hub_rate_limits (JSON: {"rate": 5, "burst": 10}).',
    )
    hub_rate_limits: dict[str, HubRate] = Field(
        default={"https://huggingface.co": HubRate(rate=3.0, burst=30)},
        validation_alias="LINEAGE_HUB_RATE_LIMITS",
        description=(
            "Shared rate limit per hub endpoint (base URL, no trailing slash), as JSON, e.g. "
            '{"http://127.0.0.1:8765": {"rate": 1000, "burst": 200}}. The Hub allows about 1000 API calls per '
            "5 minutes to an anonymous client, hence the default for huggingface.co."
        ),
    )
    expand_chunk: int = Field(
        default=32,
        ge=1,
        le=1000,
        validation_alias="LINEAGE_CRAWL_EXPAND_CHUNK",
        description="Models whose children one task lists; their children are written as one batch.",
    )
    write_batch_models: int = Field(
        default=5000,
        ge=1,
        validation_alias="LINEAGE_CRAWL_WRITE_BATCH",
        description="Most models (with their edges, files, deployments) in one write task.",
    )
    default_breadth: int = Field(
        default=1000,
        ge=1,
        validation_alias="LINEAGE_CRAWL_BREADTH",
        description="Most children listed per model when a crawl request does not say.",
    )
    max_down: int = Field(
        default=10, ge=0, le=64, validation_alias="LINEAGE_CRAWL_MAX_DOWN", description="Deepest --down a crawl may ask."
    )
    fresh_for_s: int = Field(
        default=86_400,
        ge=0,
        validation_alias="LINEAGE_CRAWL_FRESH_FOR_S",
        description=(
            "An ancestor crawled less than this long ago is not fetched again by an upward crawl (its sha cannot "
            "be known without a request); 0 fetches every ancestor."
        ),
    )
    propagate_after_crawl: bool = Field(
        default=True,
        validation_alias="LINEAGE_CRAWL_PROPAGATE",
        description=(
            "End every crawl job by recomputing the licence propagation of the models it wrote and of their "
            "descendants (graph.results.recompute.recompute_affected)."
        ),
    )
    recompute_all_timeout_s: float = Field(
        default=4 * 3_600,
        gt=0,
        validation_alias="LINEAGE_RECOMPUTE_ALL_TIMEOUT_S",
        description=(
            "Longest wait for the propagation workers to store every model's result in a full recompute "
            "(workers.propagation_fanout); past it the caller stops waiting and reports what was stored."
        ),
    )
    unit_retries: int = Field(
        default=5,
        ge=0,
        validation_alias="LINEAGE_CRAWL_UNIT_RETRIES",
        description=(
            "Times a unit of hub work whose requests all failed transiently (after the crawler's own retries) is "
            "tried again later, with exponential backoff and jitter, before its failures become problems."
        ),
    )
    retry_backoff_max_s: int = Field(
        default=60,
        ge=1,
        validation_alias="LINEAGE_CRAWL_RETRY_BACKOFF_MAX_S",
        description="Longest countdown between two attempts of a task (graph unreachable, hub failing).",
    )
    write_retries: int = Field(
        default=12,
        ge=0,
        validation_alias="LINEAGE_CRAWL_WRITE_RETRIES",
        description="Times a write is retried while Neo4j is unreachable before its batch is reported lost.",
    )
    stall_after_s: int = Field(
        default=600,
        ge=5,
        validation_alias="LINEAGE_CRAWL_STALL_AFTER_S",
        description=(
            "A job with outstanding units and no progress for this long has its outstanding units sent again "
            "(by the resend_stalled task); each resend is counted and reported."
        ),
    )
    changes_dispatch_grace_s: float = Field(
        default=300,
        ge=1,
        validation_alias="LINEAGE_CHANGES_DISPATCH_GRACE_S",
        description=(
            "Change records left undispatched this long (their batch's dispatch never came: a worker died) are "
            "dispatched by beat's leftover sweep, which looks every minute."
        ),
    )
    changes_retention_days: float = Field(
        default=180,
        gt=0,
        validation_alias="LINEAGE_CHANGES_RETENTION_DAYS",
        description="Change records and delivered or parked events older than this are deleted (daily).",
    )
    resend_check_s: int = Field(
        default=60,
        ge=1,
        validation_alias="LINEAGE_CRAWL_RESEND_CHECK_S",
        description="How often beat looks for stalled jobs (and sends their outstanding units again).",
    )
    refresh_interval_s: int = Field(
        default=3_600,
        ge=10,
        validation_alias="LINEAGE_REFRESH_INTERVAL_S",
        description="How often beat plans a refresh of known models.",
    )
    refresh_after_s: int = Field(
        default=7 * 86_400,
        ge=0,
        validation_alias="LINEAGE_REFRESH_AFTER_S",
        description="A known model not crawled for this long is re-crawled by the scheduled refresh.",
    )
    refresh_batch: int = Field(
        default=500,
        ge=1,
        validation_alias="LINEAGE_REFRESH_BATCH",
        description="Most models one scheduled refresh re-crawls.",
    )
    refresh_listing_pages: int = Field(
        default=5,
        ge=0,
        validation_alias="LINEAGE_REFRESH_LISTING_PAGES",
        description=(
            "Pages (of up to 1000) of the hub's most recently modified models read per refresh to find known "
            "models whose lastModified is newer than the graph's; 0 skips that listing."
        ),
    )
    refresh_endpoint: str | None = Field(
        default=None,
        validation_alias="LINEAGE_REFRESH_ENDPOINT",
        description="Hub the scheduled refresh asks (default: HF_ENDPOINT or huggingface.co).",
    )

    sweep_page_size: int = Field(
        default=1000,
        ge=1,
        le=1000,
        validation_alias="LINEAGE_SWEEP_PAGE_SIZE",
        description="Models per listing page of a sweep (the Hub serves at most 1,000).",
    )
    sweep_every_s: int = Field(
        default=3_600,
        ge=0,
        validation_alias="LINEAGE_SWEEP_EVERY_S",
        description="How often beat starts an incremental sweep of the hub listing (0: never).",
    )
    sweep_overlap_s: int = Field(
        default=600,
        ge=0,
        validation_alias="LINEAGE_SWEEP_OVERLAP_S",
        description=(
            "An incremental sweep reads back this far past the stored high-water mark, so models modified in the "
            "same second as the mark, or seen by a hub replica a little behind, are not missed."
        ),
    )
    sweep_stale_max_share: float = Field(
        default=0.05,
        ge=0.0,
        le=1.0,
        validation_alias="LINEAGE_SWEEP_STALE_MAX_SHARE",
        description=(
            "A full sweep marks models it no longer listed as stale, unless they are more than this share of the "
            "listed models (a truncated listing): then it changes nothing and reports why."
        ),
    )

    sweep_verify_gone: int = Field(
        default=500,
        ge=0,
        validation_alias="LINEAGE_SWEEP_VERIFY_GONE",
        description=(
            "After a full sweep marks models no longer listed, this many of them are read once more (those another "
            "model now spells in another letter case first), so that the hub says whether each was renamed (an "
            "alias) or deleted; 0: none."
        ),
    )
    deepen_every_s: int = Field(
        default=3_600,
        ge=1,
        validation_alias="LINEAGE_DEEPEN_EVERY_S",
        description=(
            "A model known only from a listing is crawled in depth when a dossier asks about it, at most once "
            "in this many seconds."
        ),
    )
    deepen_popular: int = Field(
        default=200,
        ge=0,
        validation_alias="LINEAGE_DEEPEN_POPULAR",
        description="Most downloaded models known only from listings that each scheduled refresh crawls in depth.",
    )

    propagate_pages_over: int = Field(
        default=50_000,
        ge=1,
        validation_alias="LINEAGE_PROPAGATE_PAGES_OVER",
        description=(
            "A job that wrote more models than this (a full sweep) recomputes every model's propagation in pages "
            "spread over the propagation workers, instead of its written models and their descendants in one task."
        ),
    )

    def rate_for(self, endpoint: str) -> HubRate:
        """The shared rate limit of ``endpoint``."""
        return self.hub_rate_limits.get(endpoint.rstrip("/"), self.hub_rate)
