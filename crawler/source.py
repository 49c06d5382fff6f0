"""HubSource: a hub's answers as a stream of frozen observations (DataHub-style source).

Public API (each method is a generator; every observation it yields is also counted in
``source.report``, a :class:`~crawler.report.CrawlReport`)::

    source = HubSource(CrawlerSettings(endpoint=..., token=...))
    source.iter_model("HuggingFaceH4/zephyr-7b-beta")      # one model: 1 request (+ small files if undeclared)
    source.iter_up("HuggingFaceH4/zephyr-7b-beta")         # the model and its ancestors to the roots
    source.iter_children("mistralai/Mistral-7B-v0.1", relation=None, depth=1, breadth=1000)
    source.iter_deployers("meta-llama/Llama-3.1-8B-Instruct")  # Spaces and inference providers
    source.iter_observations(seed, up=True, down=1, deployers=True)  # all of the above

Requests, exactly:

- ``iter_model``: ``model_info(id, files_metadata=True)`` (the Hub's full default payload
  plus sizes and LFS sha256 of every file), or ``model_info(id, expand=MODEL_EXPAND)`` when
  ``settings.files_metadata`` is false. If the client cannot parse the answer, one retry
  with ``expand=FALLBACK_EXPAND`` (no card data, no files). Small files only when the
  model declares no base model (see :mod:`crawler.evidence`).
- ``iter_children``: ``list_models(filter="base_model:<relation>:<id>"`` (or
  ``"base_model:<id>"`` for every relation), ``expand=CHILD_EXPAND, limit=breadth)`` per
  parent and level, following ``Link`` pagination; no per-child request. Spaces and provider
  mappings in the listed metadata become DeploymentSeen at no extra request (likewise in
  ``iter_model``, from the ``spaces`` of the default payload).
- ``iter_deployers``: ``list_spaces(models=id, expand=SPACE_EXPAND)`` and
  ``model_info(id, expand=["inferenceProviderMapping"])``.
- with ``settings.history`` (deep crawls of named models: ``iter_model``, ``iter_up``, not
  children listings): per model fetched, its commit history and the card at each revision that
  changed it (:mod:`crawler.history`): one commit-listing page (more only past the page size,
  bounded by ``settings.max_history_commits``), one ``HEAD`` of README.md per examined commit
  beyond the head (none for a one-commit repo), one card ``GET`` per card-changing revision.
  Counted apart in ``report.history_requests`` (and in ``report.hub_requests`` like every request).

Failures never escape as exceptions: 404 → ``ModelSeen(status=DELETED)`` + ``NOT_FOUND``;
401/403 gated → ``GATED``; retries exhausted → ``UNAVAILABLE`` + ``HUB_ERROR`` (or
``RATE_LIMITED``); invalid ids → ``INVALID_REPO_ID``. Only programming errors raise.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

import structlog
from huggingface_hub import HfApi, ModelInfo

from crawler.cycles import cycle_problems
from crawler.deployments import deployments_in_metadata, provider_deployments, space_deployment
from crawler.errors import (
    CrawlerError,
    InvalidRepoIdError,
    MalformedResponseError,
    PermanentHubError,
    RateLimitedError,
    RepoGatedError,
    RepoNotFoundError,
    RetriesExhaustedError,
)
from crawler.evidence import InferenceContext, infer_lineage
from crawler.history import read_history
from crawler.hubclient import HubClient
from crawler.inference import structural_relation
from crawler.observations import (
    AliasSeen,
    DeploymentSeen,
    DerivationSeen,
    EvidenceKind,
    KnownFrom,
    ModelSeen,
    ModelStatus,
    Observation,
    ProblemKind,
    ProblemSeen,
    Relation,
    Source,
)
from crawler.parsing import check_repo_id, parse_model
from crawler.ratelimit import RateLimiter
from crawler.report import CrawlReport
from crawler.settings import CrawlerSettings

__all__ = [
    "CHILD_EXPAND",
    "FALLBACK_EXPAND",
    "MODEL_EXPAND",
    "PROVIDER_EXPAND",
    "SPACE_EXPAND",
    "HubSource",
]

MODEL_EXPAND: list[str] = [
    "author", "cardData", "config", "createdAt", "downloads", "gated", "gguf", "inferenceProviderMapping",
    "lastModified", "library_name", "likes", "pipeline_tag", "safetensors", "sha", "siblings", "spaces", "tags",
]  # fmt: skip
CHILD_EXPAND: list[str] = [
    "author", "cardData", "createdAt", "downloads", "gated", "gguf", "inferenceProviderMapping", "lastModified",
    "library_name", "likes", "pipeline_tag", "safetensors", "sha", "siblings", "spaces", "tags",
]  # fmt: skip
FALLBACK_EXPAND: list[str] = [
    "author", "createdAt", "downloads", "gated", "lastModified", "library_name", "likes",
    "pipeline_tag", "sha", "tags",
]  # fmt: skip
SPACE_EXPAND: list[str] = ["author", "sha", "runtime", "sdk", "likes", "lastModified"]
PROVIDER_EXPAND: list[str] = ["inferenceProviderMapping"]

log = structlog.get_logger(__name__)


@dataclass
class _Fetched:
    """One model fetched: observations about it, and its derivations (emitted after parents resolve)."""

    requested_id: str
    current_id: str
    status: ModelStatus | None
    head: list[Observation] = field(default_factory=list)
    derivations: list[DerivationSeen] = field(default_factory=list)

    @property
    def parents(self) -> list[str]:
        return list(dict.fromkeys(d.parent_id for d in self.derivations))


class HubSource:
    """Yields frozen observations about models on one hub; counts them in ``self.report``."""

    def __init__(
        self,
        settings: CrawlerSettings | None = None,
        *,
        api: HfApi | None = None,
        rate_limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] | None = None,
        rand: Callable[[], float] | None = None,
        clock: Callable[[], datetime] | None = None,
        report: CrawlReport | None = None,
    ) -> None:
        self.settings = settings if settings is not None else CrawlerSettings()
        self.client = HubClient(self.settings, api=api, rate_limiter=rate_limiter, sleep=sleep, rand=rand)
        self.endpoint = self.client.endpoint
        self.public = self.settings.public_url(f"{self.endpoint}/").rstrip("/")  # cited in evidence
        self.report = report if report is not None else CrawlReport()
        self._clock = clock if clock is not None else (lambda: datetime.now(UTC))
        host = urlsplit(self.endpoint).netloc
        self._hosts: tuple[str, ...] = (host,) if host else ()
        self._memo: OrderedDict[str, _Fetched] = OrderedDict()

    def __enter__(self) -> HubSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the temporary download cache."""
        self.client.close()

    # -- public generators ----------------------------------------------------------------

    def iter_model(self, model_id: str) -> Iterator[Observation]:
        """One model: ModelSeen, AliasSeen if renamed, problems, declared/inferred derivations, files."""
        fetched = self._fetch_model(model_id)
        yield from self._recorded([*fetched.head, *fetched.derivations])

    def iter_up(
        self, seed: str, *, max_depth: int | None = None, stop_at: Callable[[str], bool] | None = None
    ) -> Iterator[Observation]:
        """The seed and its ancestors, level by level, to the roots (bounded; never loops).

        A model's derivations are yielded after its parents were fetched, so a parent
        referenced by an old id is reported against the id the Hub answers with.
        ``stop_at(parent_id)`` true means: that parent is already known (e.g. crawled
        recently) — its derivation is reported but it is not fetched or climbed.
        """
        depth = self.settings.max_up_depth if max_depth is None else max_depth
        return self._recorded(self._up(seed, depth, stop_at or _never))

    def iter_children(
        self,
        model_id: str,
        relation: Relation | str | None = None,
        *,
        depth: int | None = None,
        breadth: int | None = None,
    ) -> Iterator[Observation]:
        """Descendants listed many per request: ModelSeen + DerivationSeen (+ files) per child."""
        rel = Relation(relation) if relation is not None else None
        if rel is Relation.UNKNOWN:
            raise ValueError("relation must be finetune, adapter, merge or quantized (or None for all)")
        levels = self.settings.default_depth if depth is None else depth
        width = self.settings.default_breadth if breadth is None else breadth
        return self._recorded(self._down(model_id, rel, levels, width))

    def iter_deployers(self, model_id: str) -> Iterator[Observation]:
        """Spaces using the model and inference providers serving it, as DeploymentSeen."""
        return self._recorded(self._deployers(model_id))

    def iter_observations(
        self, seed: str, *, up: bool = True, down: int = 0, deployers: bool = False
    ) -> Iterator[Observation]:
        """A whole crawl from one seed: upwards (or the seed alone), then children, then deployers."""
        current = seed
        for observation in self.iter_up(seed) if up else self.iter_model(seed):
            if isinstance(observation, AliasSeen) and observation.old_id == seed:
                current = observation.new_id
            yield observation
        if down > 0:
            yield from self.iter_children(current, depth=down)
        if deployers:
            yield from self.iter_deployers(current)

    # -- internals ------------------------------------------------------------------------

    def _recorded(self, observations: Iterator[Observation] | list[Observation]) -> Iterator[Observation]:
        for observation in observations:
            self.report.record(observation)
            self.report.hub_requests = self.client.requests
            yield observation
        self.report.hub_requests = self.client.requests

    def _source(self, url: str, revision: str | None = None) -> Source:
        return Source(url=self.settings.public_url(url), revision=revision, observed_at=self._clock())

    def _failure(self, model_id: str, error: CrawlerError, source: Source) -> tuple[ModelStatus | None, list[Observation]]:
        if isinstance(error, InvalidRepoIdError):
            return None, [ProblemSeen(model_id, ProblemKind.INVALID_REPO_ID, error.message, source)]
        if isinstance(error, RepoNotFoundError):
            status, kind = ModelStatus.DELETED, ProblemKind.NOT_FOUND
            message = f"the hub has no model {model_id} ({error.message})"
        elif isinstance(error, RepoGatedError):
            status, kind = ModelStatus.GATED, ProblemKind.GATED
            message = f"{model_id} is gated and could not be read ({error.message})"
        elif isinstance(error, RetriesExhaustedError):
            status = ModelStatus.UNAVAILABLE
            kind = ProblemKind.RATE_LIMITED if isinstance(error.last, RateLimitedError) else ProblemKind.HUB_ERROR
            message = str(error)
        else:
            status, kind = ModelStatus.UNAVAILABLE, ProblemKind.HUB_ERROR
            message = f"{type(error).__name__}: {error}"
        seen = ModelSeen(model_id, source, status=status, license_recorded=False)  # nothing of it was read
        return status, [seen, ProblemSeen(model_id, kind, message, source)]

    def _model_info(self, model_id: str, source: Source) -> tuple[ModelInfo, list[ProblemSeen]]:
        try:
            if self.settings.files_metadata:
                return self.client.model_info(model_id, files_metadata=True), []
            return self.client.model_info(model_id, expand=MODEL_EXPAND), []
        except MalformedResponseError as error:
            log.warning("hub.malformed_model_info", model_id=model_id, error=error.message)
            problem = ProblemSeen(
                model_id,
                ProblemKind.MALFORMED_CARD,
                f"model metadata could not be parsed ({error.message}); read again without card data and files",
                source,
            )
            return self.client.model_info(model_id, expand=FALLBACK_EXPAND), [problem]

    def _fetch_model(self, requested_id: str) -> _Fetched:
        """One model, from the memo if this source fetched it before (failures that may pass are not kept)."""
        key = requested_id.lower()
        cached = self._memo.get(key)
        if cached is not None:
            self._memo.move_to_end(key)
            return cached
        fetched = self._fetch_model_from_hub(requested_id)
        if self.settings.memo_models and fetched.status is not ModelStatus.UNAVAILABLE:
            self._memo[key] = fetched
            while len(self._memo) > self.settings.memo_models:
                self._memo.popitem(last=False)
        return fetched

    def _fetch_model_from_hub(self, requested_id: str) -> _Fetched:
        url = f"{self.endpoint}/api/models/{requested_id}"
        source = self._source(url)
        reason = check_repo_id(requested_id)
        if reason is not None:
            problem = ProblemSeen(requested_id, ProblemKind.INVALID_REPO_ID, reason, source)
            return _Fetched(requested_id, requested_id, None, [problem])
        try:
            info, problems = self._model_info(requested_id, source)
        except CrawlerError as error:
            status, failure = self._failure(requested_id, error, source)
            return _Fetched(requested_id, requested_id, status, failure)
        current = str(info.id)
        source = replace(source, revision=info.sha if isinstance(info.sha, str) else None)
        head: list[Observation] = []
        if current != requested_id:
            head.append(AliasSeen(requested_id, current, source))
            if current.lower() != requested_id.lower():  # a different spelling of the same id is not a rename
                message = f"{requested_id} now answers as {current}"
                head.append(ProblemSeen(requested_id, ProblemKind.RENAMED, message, source))
        hint, hint_reason = structural_relation(
            current, [s.rfilename for s in (info.siblings or ())[: self.settings.max_siblings]],
            info.config if isinstance(info.config, dict) else None, info.gguf,
        )
        parsed = parse_model(
            info,
            source,
            model_id=current,
            fallback_relation=hint or Relation.FINETUNE,
            max_siblings=self.settings.max_siblings,
        )
        derivations = list(parsed.declared.derivations)
        inferred_problems: list[ProblemSeen] = []
        if not derivations:
            context = InferenceContext(
                client=self.client,
                settings=self.settings,
                endpoint=self.endpoint,
                hosts=self._hosts,
                source_for=self._source,
            )
            derivations, inferred_problems = infer_lineage(context, info, parsed, current, hint, hint_reason, source)
        head.append(parsed.model)
        if self.settings.history:
            read = read_history(
                self.client, self.settings, model_id=current, info=info, parsed=parsed, source_for=self._source
            )
            self.report.history_requests += read.requests
            if read.history is not None:
                head.append(read.history)
            head.extend(read.problems)
        head.extend(problems)
        head.extend(parsed.problems)
        head.extend(inferred_problems)
        head.extend(parsed.files)
        head.extend(self._deployments_in(info, current, source))
        return _Fetched(requested_id, current, ModelStatus.AVAILABLE, head, derivations)

    def _up(self, seed: str, max_depth: int, stop_at: Callable[[str], bool]) -> Iterator[Observation]:
        resolved: dict[str, str] = {}  # requested id (lower case) → the id the hub answered with
        visited: set[str] = set()
        edges: dict[str, set[str]] = {}
        pending: list[_Fetched] = []  # the previous level: derivations wait until their parents resolve
        frontier = [seed]
        depth = 0
        fetched = 0
        while frontier:
            level: list[_Fetched] = []
            out_of_budget = False
            for requested in frontier:
                if requested.lower() in resolved:
                    continue
                if fetched >= self.settings.max_up_models:
                    source = self._source(f"{self.endpoint}/api/models/{requested}")
                    message = f"upward crawl from {seed} stopped after {fetched} models"
                    yield ProblemSeen(requested, ProblemKind.TOO_LARGE, message, source)
                    out_of_budget = True
                    break
                result = self._fetch_model(requested)
                fetched += 1
                resolved[requested.lower()] = result.current_id
                resolved.setdefault(result.current_id.lower(), result.current_id)
                if result.current_id.lower() in visited:  # an old id of a model already seen
                    yield from (o for o in result.head if _is_alias_fact(o))
                    continue
                visited.add(result.current_id.lower())
                yield from result.head
                level.append(result)
            yield from self._resolved_derivations(pending, resolved, edges)
            pending = level
            parents = list(
                dict.fromkeys(p for f in level for p in f.parents if p.lower() not in resolved and not stop_at(p))
            )
            if out_of_budget:
                break
            if parents and depth >= max_depth:
                for item in level:
                    if any(p.lower() not in resolved and not stop_at(p) for p in item.parents):
                        source = self._source(f"{self.endpoint}/api/models/{item.current_id}")
                        message = f"upward crawl from {seed} stopped at depth {max_depth}; parents not fetched"
                        yield ProblemSeen(item.current_id, ProblemKind.TOO_LARGE, message, source)
                break
            frontier = parents
            depth += 1
        yield from self._resolved_derivations(pending, resolved, edges)
        yield from cycle_problems(edges, lambda model: self._source(f"{self.endpoint}/api/models/{model}"))

    def _resolved_derivations(
        self, fetched: list[_Fetched], resolved: dict[str, str], edges: dict[str, set[str]]
    ) -> Iterator[Observation]:
        for item in fetched:
            for derivation in item.derivations:
                parent = resolved.get(derivation.parent_id.lower(), derivation.parent_id)
                if parent.lower() == derivation.child_id.lower():
                    message = f"base model {derivation.parent_id} is the model itself (renamed)"
                    yield ProblemSeen(derivation.child_id, ProblemKind.SELF_REFERENCE, message, derivation.source)
                    continue
                if parent != derivation.parent_id:
                    detail = f"{derivation.evidence_detail} (as {derivation.parent_id}, now {parent})"
                    derivation = replace(derivation, parent_id=parent, evidence_detail=detail)
                edges.setdefault(derivation.child_id, set()).add(parent)
                yield derivation

    def _down(self, root: str, relation: Relation | None, depth: int, breadth: int) -> Iterator[Observation]:
        visited = {root.lower()}
        first_parent: dict[str, str] = {}
        frontier = [root]
        total = 0
        for _level in range(depth):
            next_frontier: list[str] = []
            for parent in frontier:
                filter_tag = f"base_model:{relation.value}:{parent}" if relation else f"base_model:{parent}"
                url = f"{self.endpoint}/api/models?filter={filter_tag}"
                listed = 0
                try:
                    children = self.client.iter_models(
                        what="list_children", filter=filter_tag, expand=CHILD_EXPAND, limit=breadth
                    )
                    for info in children:
                        listed += 1
                        child = str(info.id)
                        key = child.lower()
                        source = self._source(url, info.sha if isinstance(info.sha, str) else None)
                        if key == parent.lower():
                            message = f"{child} is listed as its own child ({filter_tag})"
                            yield ProblemSeen(child, ProblemKind.SELF_REFERENCE, message, source)
                            continue
                        if key in visited:
                            if _is_ancestor(key, parent.lower(), first_parent):
                                message = f"{child} is both an ancestor and a child of {parent}"
                                yield ProblemSeen(child, ProblemKind.CYCLE, message, source)
                            continue
                        visited.add(key)
                        first_parent[key] = parent.lower()
                        yield from self._child_observations(info, parent, relation, filter_tag, source)
                        next_frontier.append(child)
                        total += 1
                        if total >= self.settings.max_children_models:
                            message = f"downward crawl from {root} stopped after {total} models"
                            yield ProblemSeen(root, ProblemKind.TOO_LARGE, message, source)
                            return
                except CrawlerError as error:
                    source = self._source(url)
                    kind = (
                        ProblemKind.RATE_LIMITED
                        if isinstance(error, RetriesExhaustedError) and isinstance(error.last, RateLimitedError)
                        else ProblemKind.HUB_ERROR
                    )
                    yield ProblemSeen(parent, kind, f"listing children failed: {error}", source)
                    continue
                if listed >= breadth:
                    message = f"children listing ({filter_tag}) stopped at breadth {breadth}; there may be more"
                    yield ProblemSeen(parent, ProblemKind.TOO_LARGE, message, self._source(url))
            frontier = next_frontier

    def _child_observations(
        self, info: ModelInfo, parent: str, relation: Relation | None, filter_tag: str, source: Source
    ) -> Iterator[Observation]:
        child = str(info.id)
        names = [s.rfilename for s in (info.siblings or ())[: self.settings.max_siblings]]
        hint, _ = structural_relation(child, names, None, info.gguf)
        parsed = parse_model(
            info, source, model_id=child, fallback_relation=hint or Relation.FINETUNE,
            max_siblings=self.settings.max_siblings, known_from=KnownFrom.LISTED,
        )
        yield parsed.model
        yield from parsed.problems
        derivations = list(parsed.declared.derivations)
        if not any(d.parent_id.lower() == parent.lower() for d in derivations):
            derivations.append(
                DerivationSeen(
                    child, parent, relation or hint or Relation.FINETUNE, EvidenceKind.HUB_TAG,
                    f"listed by the hub for filter {filter_tag}", 1.0, source,
                )
            )
        yield from derivations
        yield from parsed.files
        yield from self._deployments_in(info, child, source)

    def _deployments_in(self, info: ModelInfo, model_id: str, source: Source) -> list[DeploymentSeen]:
        """Deployments in metadata already fetched: no request (see :mod:`crawler.deployments`)."""
        if not self.settings.deployments_from_metadata:
            return []
        return deployments_in_metadata(
            info, model_id, source, endpoint=self.public, max_spaces=self.settings.max_spaces
        )

    def _deployers(self, model_id: str) -> Iterator[Observation]:
        spaces_url = f"{self.endpoint}/api/spaces?models={model_id}"
        reason = check_repo_id(model_id)
        if reason is not None:
            yield ProblemSeen(model_id, ProblemKind.INVALID_REPO_ID, reason, self._source(spaces_url))
            return
        try:
            limit = self.settings.max_spaces
            for space in self.client.iter_spaces(models=model_id, expand=SPACE_EXPAND, limit=limit):
                source = self._source(spaces_url, space.sha if isinstance(space.sha, str) else None)
                yield space_deployment(str(space.id), model_id, source, endpoint=self.public, space=space)
        except CrawlerError as error:
            yield ProblemSeen(model_id, ProblemKind.HUB_ERROR, f"listing Spaces failed: {error}", self._source(spaces_url))
        url = f"{self.endpoint}/api/models/{model_id}?expand=inferenceProviderMapping"
        source = self._source(url)
        try:
            info = self.client.model_info(model_id, expand=PROVIDER_EXPAND)
        except CrawlerError as error:
            if isinstance(error, PermanentHubError | RetriesExhaustedError):
                _, failure = self._failure(model_id, error, source)
                yield from (o for o in failure if isinstance(o, ProblemSeen))
            return
        current = str(info.id)
        if current != model_id:
            yield AliasSeen(model_id, current, source)
        yield from provider_deployments(info, current, source)


def _never(_: str) -> bool:
    return False


def _is_alias_fact(observation: Observation) -> bool:
    if isinstance(observation, AliasSeen):
        return True
    return isinstance(observation, ProblemSeen) and observation.kind is ProblemKind.RENAMED


def _is_ancestor(candidate: str, node: str, first_parent: dict[str, str]) -> bool:
    """True when ``candidate`` is on the discovery path from the root down to ``node``."""
    seen: set[str] = set()
    current: str | None = node
    while current is not None and current not in seen:
        if current == candidate:
            return True
        seen.add(current)
        current = first_parent.get(current)
    return False
