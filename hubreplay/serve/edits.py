"""Edits to a snapshot hub while it runs (``POST /_replay/changes``): relicense, add, delete, gate.

Each edit makes what the Hub would serve after a push to the repo (what a sweep or a crawl then reads):

* a new head revision: a new ``sha`` (sha1 of the id and the hub's edit number: the same requests in
  the same order give the same shas), ``lastModified`` = the server's clock (strictly increasing over
  the hub's edits, so the last edit is listed first by ``sort=lastModified``), ``createdAt`` too for an
  added model;
* ``cardData`` and the Hub-computed ``license:`` / ``base_model:`` tags recomputed with the snapshot
  builders' helpers (:mod:`hubreplay.snapshot.hubshape`), and ``README.md`` at main re-rendered with the
  new front matter;
* a commit prepended to the main branch's commit list, dated ``lastModified``; the previous head stays
  answerable by its sha (payload and files), so a crawl that reads the history sees old → new;
* a deleted repo answers 404 ``RepoNotFound`` and is no longer listed; a gated one refuses its files
  without a granted token (the app's gated-repo behaviour). Gating is a repo setting on the Hub, not a
  push; here it is recorded as one (new sha, commit, ``lastModified``) so that a sweep reading the
  ``lastModified`` listing notices it.

A request is checked whole before anything changes (schema by pydantic, then each edit against the
hub as the earlier edits of the request leave it): a refused request changes nothing. On a snapshot
recorded from a public hub (the manifest's ``origin``) only ids under ``origin_excludes`` may be edited
or added: evidence of what the replay hub serves cites the public hub, and an edited real model would
make it cite the public hub for an invented fact.

Edits live in memory for the life of the server (the loaded :class:`Snapshot` is changed; its folder
is never written): a restarted hub serves the snapshot as recorded.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from hubreplay.serve.errors import EditRefusedError
from hubreplay.snapshot.format import hub_datetime
from hubreplay.snapshot.hubshape import (
    RELATIONS,
    base_model_tags,
    hub_relation,
    license_tags,
    merge_tags,
    render_card,
    split_card,
    with_license_tags,
)
from hubreplay.snapshot.store import ModelEntry, Snapshot

__all__ = [
    "AddModel",
    "AppliedEdit",
    "DeleteModel",
    "Edit",
    "EditsRequest",
    "GateModel",
    "RelicenseModel",
    "SnapshotEditor",
]

_REPO_ID: Final = re.compile(r"^(?:[A-Za-z0-9][\w.-]*/)?[A-Za-z0-9][\w.-]{0,95}$")
_CARD: Final = "README.md"
_MAX_EDITS: Final = 1000


def _repo_id(value: str) -> str:
    if not _REPO_ID.match(value) or "--" in value or ".." in value or value.endswith((".", "-", ".git")):
        raise ValueError(
            f"{value!r} is not a Hub repo id: 'namespace/name' of letters, digits, '-', '_', '.' "
            "(name at most 96 characters, no '--' or '..', not ending in '.', '-' or '.git'; "
            "only legacy repos such as 'gpt2' have no namespace)"
        )
    return value


def _new_repo_id(value: str) -> str:
    if "/" not in value:
        raise ValueError(f"{value!r} has no namespace: a new repo is 'namespace/name'")
    return value


RepoId = Annotated[str, AfterValidator(_repo_id)]
NewRepoId = Annotated[RepoId, AfterValidator(_new_repo_id)]
LicenseId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9.+_-]{0,99}$", description="A Hub licence id.")]
Relation = Literal["adapter", "merge", "quantized", "finetune"]


class _Edit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: RepoId = Field(description="The repo to change, 'namespace/name'.")


class RelicenseModel(_Edit):
    """The card's ``license`` becomes ``license`` (``license_name`` / ``license_link`` go unless it is "other")."""

    op: Literal["relicense"]
    license: LicenseId


class AddModel(_Edit):
    """A new repo whose card declares ``base_model`` (a parent on this hub, or several) and ``license``."""

    op: Literal["add"]
    id: NewRepoId = Field(description="The new repo, 'namespace/name'.")
    base_model: RepoId | list[RepoId] | None = Field(default=None, description="Parent id(s) as the card writes them.")
    relation: Relation | None = Field(default=None, description="The card's base_model_relation; else inferred.")
    license: LicenseId | None = None

    @model_validator(mode="after")
    def _relation_needs_parent(self) -> AddModel:
        if self.relation is not None and not self.parents():
            raise ValueError("'relation' needs a 'base_model'")
        if isinstance(self.base_model, list) and not self.base_model:
            raise ValueError("'base_model' is an empty list; leave it out for a model without parents")
        return self

    def parents(self) -> list[str]:
        if self.base_model is None:
            return []
        return [self.base_model] if isinstance(self.base_model, str) else list(self.base_model)


class DeleteModel(_Edit):
    """The repo is deleted: 404 ``RepoNotFound`` and unlisted."""

    op: Literal["delete"]


class GateModel(_Edit):
    """The repo's ``gated`` setting becomes "manual", "auto" or false."""

    op: Literal["gate"]
    gated: Literal["manual", "auto", False]


Edit = Annotated[RelicenseModel | AddModel | DeleteModel | GateModel, Field(discriminator="op")]


class EditsRequest(BaseModel):
    """Body of ``POST /_replay/changes`` on a snapshot hub."""

    model_config = ConfigDict(extra="forbid")

    edits: list[Edit] = Field(min_length=1, max_length=_MAX_EDITS, description="Applied in order, all or none.")


@dataclass(frozen=True, slots=True)
class AppliedEdit:
    """What one edit did: the new head ``sha`` (None for a deletion) and when."""

    op: str
    id: str
    sha: str | None
    last_modified: str

    def to_json(self) -> dict[str, Any]:
        return {"op": self.op, "id": self.id, "sha": self.sha, "lastModified": self.last_modified}


class SnapshotEditor:
    """Applies :class:`EditsRequest` s to one snapshot, numbering edits over the hub's life."""

    def __init__(self, snapshot: Snapshot, *, clock: Callable[[], datetime] | None = None) -> None:
        self.snapshot = snapshot
        self._clock = clock or (lambda: datetime.now(UTC))
        self._edits = 0
        self._last_stamp: datetime | None = None

    def apply(self, request: EditsRequest) -> list[AppliedEdit]:
        """Check every edit (raises :class:`EditRefusedError`, nothing changed), then apply them in order."""
        self._check(request.edits)
        return [self._apply(edit) for edit in request.edits]

    # -- checks --------------------------------------------------------------------------------

    def _check(self, edits: list[Edit]) -> None:
        live: dict[str, bool] = {}  # lower-cased id -> exists, as the earlier edits of the request leave it

        def exists(repo_id: str) -> bool:
            recorded = self.snapshot.model(repo_id) is not None and not self.snapshot.is_deleted(repo_id)
            return live.get(repo_id.lower(), recorded)

        for number, edit in enumerate(edits):
            where = f"edit {number} ({edit.op} {edit.id})"
            self._check_origin(edit.id, where, number)
            renamed = self.snapshot.alias_target(edit.id)
            if isinstance(edit, AddModel):
                if exists(edit.id):
                    raise EditRefusedError(f"{where}: {edit.id} already exists on this hub", number)
                if renamed is not None:
                    message = f"{where}: {edit.id} redirects to {renamed} (a renamed repo); pick another id"
                    raise EditRefusedError(message, number)
                for parent in edit.parents():
                    target = self._current_id(parent)
                    if parent.lower() == edit.id.lower() or not exists(target):
                        raise EditRefusedError(f"{where}: base model {parent} is not a model of this hub", number)
                live[edit.id.lower()] = True
                continue
            if not exists(edit.id):
                hint = f" (it was renamed to {renamed})" if renamed is not None else ""
                raise EditRefusedError(f"{where}: no model {edit.id} on this hub{hint}", number)
            if isinstance(edit, DeleteModel):
                live[edit.id.lower()] = False

    def _check_origin(self, repo_id: str, where: str, number: int) -> None:
        manifest = self.snapshot.manifest
        if manifest.origin is None or any(repo_id.startswith(prefix) for prefix in manifest.origin_excludes):
            return
        allowed = ", ".join(f"'{prefix}'" for prefix in manifest.origin_excludes) or "none"
        raise EditRefusedError(
            f"{where}: this snapshot was recorded from {manifest.origin} and evidence of what it serves cites "
            f"{manifest.origin}; editing a real model would make that evidence cite {manifest.origin} for an "
            f"invented fact. Only ids under the constructed-record prefixes may be edited or added: {allowed}",
            number,
        )

    def _current_id(self, repo_id: str) -> str:
        """The id the Hub shows for ``repo_id`` (a renamed repo's new id), as its tags name it."""
        return self.snapshot.alias_target(repo_id) or repo_id

    # -- applying ------------------------------------------------------------------------------

    def _apply(self, edit: Edit) -> AppliedEdit:
        if isinstance(edit, AddModel):
            return self._add(edit)
        entry = self.snapshot.model(edit.id)
        assert entry is not None, "checked before applying"
        if isinstance(edit, DeleteModel):
            stamp = self._stamp()
            self.snapshot.remove_model(entry.id, f"deleted by POST /_replay/changes at {stamp}")
            return AppliedEdit(edit.op, entry.id, None, stamp)
        if isinstance(edit, RelicenseModel):
            card = dict(_card_data(entry.info()))
            card["license"] = edit.license
            if edit.license != "other":
                card.pop("license_name", None)
                card.pop("license_link", None)
            tags = with_license_tags(entry.info().get("tags") or [], edit.license)
            return self._push(entry, edit.op, {"cardData": card, "tags": tags}, f"Update license to {edit.license}")
        title = f"Update gated access to {edit.gated}" if edit.gated else "Disable gated access"
        return self._push(entry, edit.op, {"gated": edit.gated}, title)

    def _push(self, entry: ModelEntry, op: str, changes: dict[str, Any], title: str) -> AppliedEdit:
        """A commit on main changing ``changes``: the old head kept by its sha, the new one served at main."""
        old = entry.info()
        if entry.sha is not None and (entry.id, entry.sha) not in self.snapshot.revisions:
            self.snapshot.put_revision(entry.id, entry.sha, old)
            for path, stored in self.snapshot.files_at(entry.id).items():
                if self.snapshot.file(entry.id, path, entry.sha) is None:
                    self.snapshot.put_file(entry.id, path, stored.content, entry.sha)
        sha, stamp = self._sha(entry.id), self._stamp()
        info = {**old, **changes, "sha": sha, "lastModified": stamp}
        if "cardData" in changes:
            stored = self.snapshot.file(entry.id, _CARD)
            _, body = split_card(stored.content.decode("utf-8", errors="replace")) if stored else (None, "")
            self._write_card(info, body.removeprefix("\n"))  # render_card puts the blank line back
        history = self.snapshot.commits.get(entry.id)
        if history is None:
            head = entry.head_commit()
            history = [head] if head is not None else []
        self.snapshot.put_commits(entry.id, [_commit(sha, title, info, stamp), *history])
        self.snapshot.put_model(info)
        return AppliedEdit(op, entry.id, sha, stamp)

    def _add(self, edit: AddModel) -> AppliedEdit:
        namespace, name = edit.id.split("/", 1)
        parents = [self._current_id(p) for p in edit.parents()]
        parents = [self.snapshot.canonical_id(p) or p for p in parents]
        card: dict[str, Any] = {}
        if edit.license is not None:
            card["license"] = edit.license
        if edit.base_model is not None:
            card["base_model"] = edit.base_model
        if edit.relation is not None:
            card["base_model_relation"] = edit.relation
        relation = hub_relation(declared=edit.relation, parents=parents)
        assert relation in RELATIONS
        sha, stamp = self._sha(edit.id), self._stamp()
        info: dict[str, Any] = {
            "_id": hashlib.sha1(edit.id.encode(), usedforsecurity=False).hexdigest()[:24],
            "id": edit.id,
            "private": False,
            "tags": merge_tags(base_model_tags(parents, relation), license_tags(edit.license), ["region:us"]),
            "downloads": 0,
            "likes": 0,
            "modelId": edit.id,
            "author": namespace,
            "sha": sha,
            "lastModified": stamp,
            "gated": False,
            "disabled": False,
            "cardData": card,
            "siblings": [{"rfilename": ".gitattributes"}],
            "createdAt": stamp,
            "trendingScore": 0,
        }
        body = f"# {name}\n\n" + (f"A {relation} of {', '.join(parents)}.\n" if parents else "")
        self._write_card(info, body)
        self.snapshot.put_commits(edit.id, [_commit(sha, "initial commit", info, stamp)])
        self.snapshot.put_model(info)
        return AppliedEdit(edit.op, edit.id, sha, stamp)

    def _write_card(self, info: dict[str, Any], body: str) -> None:
        """``README.md`` at main rendered from ``info["cardData"]`` and ``body``; its sibling follows."""
        stored = self.snapshot.put_file(info["id"], _CARD, render_card(_card_data(info), body).encode("utf-8"))
        siblings = info.get("siblings")
        if not isinstance(siblings, list):
            return  # the file list was not recorded: it stays unknown
        item: dict[str, Any] = {"rfilename": _CARD, "size": len(stored.content), "blobId": stored.blob_id}
        for k, sibling in enumerate(siblings):
            if isinstance(sibling, dict) and sibling.get("rfilename") == _CARD:
                siblings[k] = {**sibling, **{key: item[key] for key in ("size", "blobId") if key in sibling}}
                return
        siblings.append(item)

    def _sha(self, repo_id: str) -> str:
        self._edits += 1
        return hashlib.sha1(f"{repo_id}@replay-edit-{self._edits}".encode(), usedforsecurity=False).hexdigest()

    def _stamp(self) -> str:
        """The clock now, in milliseconds, strictly after the previous edit's stamp."""
        now = self._clock().astimezone(UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if self._last_stamp is not None and now <= self._last_stamp:
            now = self._last_stamp + timedelta(milliseconds=1)
        self._last_stamp = now
        return hub_datetime(now)


def _card_data(info: dict[str, Any]) -> dict[str, Any]:
    card = info.get("cardData")
    return card if isinstance(card, dict) else {}


def _commit(sha: str, title: str, info: dict[str, Any], date: str) -> dict[str, Any]:
    author = info.get("author") or str(info["id"]).split("/", 1)[0]
    return {"id": sha, "title": title, "message": "", "authors": [{"user": author}], "date": date}
