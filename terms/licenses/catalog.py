"""The licence catalog: load and validate the data files, look licences up by canonical id.

``LicenseCatalog.get`` never fails: an id it does not know answers the explicit ``unknown``
entry. The ids and ``aliases`` of the entries are the one table of licence names; turning a
hub's declaration into one of them is :mod:`terms.licenses.resolve`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from terms.licenses.errors import KnowledgeBaseError
from terms.licenses.model import TERMINATION_CAUSES, LicenseEntry, LicenseFile, Taxonomy
from terms.licenses.terms import LicenseTerms, Term, derive_terms

__all__ = [
    "DATA_DIR",
    "SCHEMA_VERSION",
    "UNKNOWN_ID",
    "LicenseCatalog",
    "default_catalog",
]

DATA_DIR = Path(__file__).parent / "data"
SCHEMA_VERSION = 1
UNKNOWN_ID = "unknown"


class LicenseCatalog:
    """All licence entries, their terms, and lookups by canonical id or alias."""

    def __init__(self, taxonomy: Taxonomy, entries: tuple[LicenseEntry, ...]) -> None:
        self.taxonomy = taxonomy
        self.version = taxonomy.kb_version
        self._entries: dict[str, LicenseEntry] = {}
        self._aliases: dict[str, str] = {}
        for entry in entries:
            if entry.id in self._entries or entry.id in self._aliases:
                raise KnowledgeBaseError(f"licence id {entry.id!r} is defined twice")
            self._entries[entry.id] = entry
            for alias in entry.aliases:
                if alias in self._entries or alias in self._aliases:
                    raise KnowledgeBaseError(f"alias {alias!r} of {entry.id!r} is already an id or alias")
                self._aliases[alias] = entry.id
        self._validate()
        self._terms = {
            eid: derive_terms(e, taxonomy.restrictions, taxonomy.duties) for eid, e in self._entries.items()
        }
        self._term_index: dict[str, Term] = {}
        for lt in self._terms.values():
            for term in lt.all:
                known = self._term_index.setdefault(term.id, term)
                if known != term:
                    raise KnowledgeBaseError(f"term {term.id!r} has two different definitions ({lt.license_id})")

    # -- validation ---------------------------------------------------------------------------
    def _validate(self) -> None:
        tax = self.taxonomy
        if UNKNOWN_ID not in self._entries or not self._entries[UNKNOWN_ID].is_unknown:
            raise KnowledgeBaseError("the explicit 'unknown' entry (family unknown) is missing")
        fields = set(LicenseEntry.model_fields)
        for entry in self._entries.values():
            where = f"licence {entry.id!r}"
            if entry.family not in tax.families:
                raise KnowledgeBaseError(f"{where}: family {entry.family!r} is not in the taxonomy")
            for item in entry.restrictions:
                if item not in tax.restrictions:
                    raise KnowledgeBaseError(f"{where}: restriction {item!r} is not in the taxonomy")
                if item not in entry.restriction_sections:
                    raise KnowledgeBaseError(f"{where}: restriction {item!r} gives no section of the licence text")
            for item in entry.terminates_on:
                if item not in tax.restrictions and item not in TERMINATION_CAUSES:
                    raise KnowledgeBaseError(f"{where}: termination cause {item!r} is unknown")
            for duty in entry.duties:
                if duty.kind not in tax.duties:
                    raise KnowledgeBaseError(f"{where}: duty {duty.kind!r} is not in the taxonomy")
            for key in entry.markers:
                if key not in fields:
                    raise KnowledgeBaseError(f"{where}: marker for unknown field {key!r}")
            for other in entry.share_alike_compatible_with:
                if other not in self._entries:
                    raise KnowledgeBaseError(f"{where}: share-alike partner {other!r} is not in the catalog")
            for out_family in (entry.outputs.except_family,):
                if out_family is not None and out_family not in tax.families:
                    raise KnowledgeBaseError(f"{where}: outputs.except_family {out_family!r} is not a family")

    # -- lookups ------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[LicenseEntry]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, license_id: object) -> bool:
        return isinstance(license_id, str) and self.canonical(license_id) is not None

    def canonical(self, license_id: str) -> str | None:
        """The canonical id for an id or alias (case and surrounding blanks ignored), else None."""
        key = license_id.strip().lower()
        if key in self._entries:
            return key
        return self._aliases.get(key)

    def get(self, license_id: str | None) -> LicenseEntry:
        """The entry for ``license_id``; the explicit ``unknown`` entry when it is not known."""
        if license_id is not None:
            found = self._entries.get(license_id)
            if found is not None:
                return found
        canonical = self.canonical(license_id) if license_id else None
        return self._entries[canonical or UNKNOWN_ID]

    def terms(self, license_id: str | None) -> LicenseTerms:
        """The terms of a licence (those of ``unknown`` — none — for an unknown id)."""
        if license_id is not None:
            found = self._terms.get(license_id)
            if found is not None:
                return found
        return self._terms[self.get(license_id).id]

    def term(self, term_id: str) -> Term:
        """A term by id (KeyError if no licence imposes it)."""
        return self._term_index[term_id]

    @property
    def all_terms(self) -> Mapping[str, Term]:
        return self._term_index

    # -- loading ------------------------------------------------------------------------------
    @classmethod
    def load(cls, data_dir: Path | None = None) -> LicenseCatalog:
        """Read ``taxonomy.yaml`` and every ``licenses/*.yaml`` under ``data_dir``, validating all of it."""
        root = data_dir or DATA_DIR
        taxonomy = Taxonomy.model_validate(_strip_anchors(_read_yaml(root / "taxonomy.yaml")))
        if taxonomy.schema_version != SCHEMA_VERSION:
            raise KnowledgeBaseError(f"taxonomy.yaml has schema_version {taxonomy.schema_version}, "
                                     f"this code reads {SCHEMA_VERSION}")
        files = sorted((root / "licenses").glob("*.yaml"))
        if not files:
            raise KnowledgeBaseError(f"no licence files under {root / 'licenses'}")
        entries: list[LicenseEntry] = []
        for path in files:
            try:
                parsed = LicenseFile.model_validate(_strip_anchors(_read_yaml(path)))
            except ValidationError as exc:
                raise KnowledgeBaseError(f"{path.name}: {exc}") from exc
            if parsed.schema_version != taxonomy.schema_version:
                raise KnowledgeBaseError(f"{path.name}: schema_version {parsed.schema_version} differs "
                                         f"from taxonomy.yaml ({taxonomy.schema_version})")
            entries.extend(parsed.licenses)
        return cls(taxonomy, tuple(entries))


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError as exc:
        raise KnowledgeBaseError(f"missing knowledge-base file {path}") from exc
    except yaml.YAMLError as exc:
        raise KnowledgeBaseError(f"{path.name} is not valid YAML: {exc}") from exc


def _strip_anchors(data: Any) -> Any:
    if not isinstance(data, dict):
        raise KnowledgeBaseError("a knowledge-base file must hold a mapping")
    return {key: value for key, value in data.items() if not str(key).startswith("_")}


@cache
def default_catalog() -> LicenseCatalog:
    """The catalog bundled with the package (loaded once per process)."""
    return LicenseCatalog.load()
