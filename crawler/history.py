"""A model's licence and base-model declarations dated by its commit history (valid time).

Licences change on the Hub by commits to the model card. On a deep crawl with
``settings.history`` on, :func:`read_history` reads the repo's commit history and the card at
each revision that changed it, and returns a :class:`~crawler.observations.DeclarationHistory`:
one :class:`~crawler.observations.DatedDeclaration` per card version, ``valid_from`` = the date
of the commit whose card first declared it, ``valid_to`` = the date of the commit that changed it.

Requests, exactly (all through :class:`~crawler.hubclient.HubClient`, so retries, rate limits
and request counts apply):

- one page of ``/api/models/{id}/commits/main`` (the listing ``HfApi.list_repo_commits``
  pages through), plus one per further page while fewer than ``settings.max_history_commits``
  commits were read (newest first; older commits are not examined);
- a repo with one commit: nothing more (its card is the one ``model_info`` already gave);
- otherwise one ``HEAD`` of ``README.md`` per examined commit other than the head (the etag,
  the git blob id, says whether the card changed; the head's comes from ``model_info``'s
  ``blobId`` of ``README.md``, or one more ``HEAD`` when the hub did not give it);
- one ``GET`` of ``README.md`` per older revision whose etag differs from the next newer one.

A card missing at a revision (``EntryNotFound``) declares nothing from then. Any other failure
(404 on the listing, a revision the hub does not know, 5xx after retries; 401/403 of a gated repo,
reported as ``gated``) is an error for this model's history only: the versions verified before it are kept (the oldest one then
holds *at least* from the oldest commit verified, ``complete`` false) and the gap is reported
as a problem; nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml
from huggingface_hub import ModelInfo, hf_hub_url

from crawler.errors import CrawlerError, RateLimitedError, RepoGatedError, RetriesExhaustedError
from crawler.hubclient import FileStamp, HubClient, RepoCommit
from crawler.inference import split_front_matter
from crawler.licenses import read_declared_license
from crawler.observations import (
    DatedDeclaration,
    DeclarationHistory,
    DeclaredBase,
    DeclaredLicense,
    ProblemKind,
    ProblemSeen,
    Relation,
    Source,
)
from crawler.parsing import ParsedModel, declared_lineage
from crawler.settings import CrawlerSettings

__all__ = ["CARD", "HISTORY_PROBLEM", "HistoryRead", "front_matter", "read_history"]

CARD = "README.md"
# how every problem of a history read begins (a gap in the history, never a transient failure of the model)
HISTORY_PROBLEM = "history: "


@dataclass
class HistoryRead:
    """What reading one model's history gave: the history (None when nothing could be dated),
    problems (the gaps), and the hub requests it cost."""

    history: DeclarationHistory | None
    problems: list[ProblemSeen] = field(default_factory=list)
    requests: int = 0


@dataclass(frozen=True, slots=True)
class _Card:
    """One card version: its etag (None: no card at that revision) and what it declares."""

    etag: str | None
    license: DeclaredLicense | None
    bases: tuple[DeclaredBase, ...]


def read_history(
    client: HubClient,
    settings: CrawlerSettings,
    *,
    model_id: str,
    info: ModelInfo,
    parsed: ParsedModel,
    source_for: Callable[[str, str | None], Source],
) -> HistoryRead:
    """The model's declarations dated by its commits (see the module docstring for the requests)."""
    before = client.requests
    read = _read(client, settings, model_id, info, parsed, source_for)
    read.requests = client.requests - before
    return read


def _read(
    client: HubClient,
    settings: CrawlerSettings,
    model_id: str,
    info: ModelInfo,
    parsed: ParsedModel,
    source_for: Callable[[str, str | None], Source],
) -> HistoryRead:
    head_sha = info.sha if isinstance(info.sha, str) else None
    listing_url = f"{client.endpoint}/api/models/{model_id}/commits/main"
    try:
        listing = client.list_commits(model_id, limit=settings.max_history_commits)
    except CrawlerError as error:
        source = source_for(listing_url, head_sha)
        return HistoryRead(None, [_gap(model_id, "the commit history could not be read", error, source)])
    source = source_for(listing.url, head_sha)
    commits = listing.commits
    if not commits:
        return HistoryRead(None)
    head_card = _head_card(info, parsed)
    if len(commits) == 1 and (head_sha is None or commits[0].sha == head_sha):
        version = _dated(client.endpoint, model_id, head_card, commits[0], None)
        return HistoryRead(DeclarationHistory(model_id, (version,), source, complete=not listing.truncated))

    # Walk newest → oldest; a card version starts at the oldest commit of its run of equal etags.
    runs: list[tuple[_Card, RepoCommit]] = []  # (card, oldest commit seen with it), newest first
    problems: list[ProblemSeen] = []
    complete = not listing.truncated
    for commit in commits:
        try:
            newer = runs[-1][0] if runs else None
            card = _card_at(client, settings, model_id, commit, head_sha, head_card, newer, parsed)
        except CrawlerError as error:
            url = hf_hub_url(model_id, CARD, revision=commit.sha, endpoint=client.endpoint)
            what = f"{CARD} at revision {commit.sha} could not be read"
            problems.append(_gap(model_id, what, error, source_for(url, commit.sha)))
            complete = False
            break
        if runs and runs[-1][0].etag == card.etag:
            runs[-1] = (runs[-1][0], commit)
        else:
            runs.append((card, commit))
    if not runs:
        return HistoryRead(None, problems)
    versions: list[DatedDeclaration] = []
    newer_start = None
    for card, oldest in runs:  # newest first
        versions.append(_dated(client.endpoint, model_id, card, oldest, newer_start))
        newer_start = oldest.date
    versions.reverse()
    return HistoryRead(DeclarationHistory(model_id, tuple(versions), source, complete=complete), problems)


def _card_at(
    client: HubClient,
    settings: CrawlerSettings,
    model_id: str,
    commit: RepoCommit,
    head_sha: str | None,
    head_card: _Card,
    newer: _Card | None,
    parsed: ParsedModel,
) -> _Card:
    """The card at ``commit``: the head's when it is the head, the newer one's when its etag is the
    same (one HEAD), else read and parsed (one GET more)."""
    if commit.sha == head_sha and head_card.etag is not None:
        return head_card
    stamp = client.file_stamp(model_id, CARD, revision=commit.sha)
    etag = _etag(stamp)
    if commit.sha == head_sha:  # what model_info said of the head stands, with or without a card
        return _Card(etag, head_card.license, head_card.bases)
    if stamp is None:
        return _Card(None, None, ())
    if newer is not None and etag is not None and newer.etag == etag:
        return newer
    text = client.read_text_at(model_id, CARD, revision=commit.sha, cap=settings.max_card_bytes)
    card = front_matter(text.text)
    license_, _ = read_declared_license(card, ())
    url = hf_hub_url(model_id, CARD, revision=commit.sha, endpoint=client.endpoint)
    return _Card(etag, license_, _card_bases(model_id, card, url, commit.sha, parsed))


def front_matter(text: str) -> Mapping[str, Any] | None:
    """The YAML front matter of a card as a mapping (None when there is none or it is unreadable)."""
    front, _ = split_front_matter(text)
    if front is None:
        return None
    try:
        data = yaml.safe_load(front)
    except yaml.YAMLError:
        return None
    return data if isinstance(data, Mapping) else None


def _card_bases(
    model_id: str, card: Mapping[str, Any] | None, url: str, revision: str, parsed: ParsedModel
) -> tuple[DeclaredBase, ...]:
    """Base models a card at an older revision declares (its ``base_model``; the Hub's tags at that
    revision are not known): the relation the card gives, else the one the model has now."""
    if card is None:
        return ()
    now = {d.parent_id.lower(): d.relation for d in parsed.declared.derivations}
    source = Source(url=url, revision=revision, observed_at=parsed.model.source.observed_at)
    declared = declared_lineage(model_id, card, None, source, fallback_relation=Relation.FINETUNE)
    stated = card.get("base_model_relation") is not None
    bases: dict[str, DeclaredBase] = {}
    for d in declared.derivations:
        relation = d.relation if stated else now.get(d.parent_id.lower(), d.relation)
        bases.setdefault(d.parent_id.lower(), DeclaredBase(d.parent_id, relation))
    return tuple(bases.values())


def _head_card(info: ModelInfo, parsed: ParsedModel) -> _Card:
    """The card at head as ``model_info`` gave it (card and tags), with README's blob id if given: no request."""
    etag = None
    for sibling in info.siblings or ():
        if sibling.rfilename == CARD and isinstance(sibling.blob_id, str):
            etag = sibling.blob_id
    bases: dict[str, DeclaredBase] = {}
    for d in parsed.declared.derivations:
        bases.setdefault(d.parent_id.lower(), DeclaredBase(d.parent_id, d.relation))
    return _Card(etag, parsed.model.declared_license, tuple(bases.values()))


def _dated(endpoint: str, model_id: str, card: _Card, start: RepoCommit, end: datetime | None) -> DatedDeclaration:
    """A card version dated from the commit that introduced it; its evidence is the card at that revision."""
    return DatedDeclaration(
        revision=start.sha,
        url=hf_hub_url(model_id, CARD, revision=start.sha, endpoint=endpoint),
        valid_from=start.date,
        valid_to=end,
        declared_license=card.license,
        base_models=card.bases,
    )


def _etag(stamp: FileStamp | None) -> str | None:
    if stamp is None or stamp.etag is None:
        return None
    return stamp.etag.strip('"').removeprefix("W/").strip('"')


def _gap(model_id: str, what: str, error: CrawlerError, source: Source) -> ProblemSeen:
    rate_limited = isinstance(error, RetriesExhaustedError) and isinstance(error.last, RateLimitedError)
    kind = (
        ProblemKind.RATE_LIMITED if rate_limited
        else ProblemKind.GATED if isinstance(error, RepoGatedError)
        else ProblemKind.HUB_ERROR
    )
    message = f"{HISTORY_PROBLEM}{what} ({type(error).__name__}: {error}); declarations before it are not dated"
    return ProblemSeen(model_id, kind, message, source)
