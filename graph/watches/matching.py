"""Which subscribers a batch of changes concerns, through the ancestry index rather than a scan.

:class:`SubscriberIndex` files every subscriber under the id its scope names. A change of model
*m* then concerns: root subscribers of *m* or of any ancestor of *m* (``HAS_ANCESTOR``, read once
per batch for the changed models); model subscribers of *m* or of any descendant of *m* — found
from the other side, as the ancestors of each watched model (read once per batch); licence
subscribers of each of the change's licences; term subscribers of each of its terms. The cost
is one lookup per (change, ancestor), whatever the number of subscribers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from graph.changes.kinds import Change
from graph.watches.scope import ScopeKind, Subscriber

__all__ = ["Matched", "SubscriberIndex", "match"]


@dataclass(slots=True)
class SubscriberIndex:
    by_kind: dict[ScopeKind, dict[str, list[Subscriber]]] = field(
        default_factory=lambda: {kind: defaultdict(list) for kind in ScopeKind})

    @classmethod
    def of(cls, subscribers: Iterable[Subscriber]) -> SubscriberIndex:
        index = cls()
        for sub in subscribers:
            index.by_kind[sub.scope.kind][sub.scope.id].append(sub)
        return index

    def ids(self, kind: ScopeKind) -> list[str]:
        return sorted(self.by_kind[kind])


@dataclass(slots=True)
class Matched:
    """The changes one subscriber receives from a batch, with the models that put them in its scope."""

    subscriber: Subscriber
    changes: list[Change] = field(default_factory=list)


def match(
    changes: Sequence[Change],
    index: SubscriberIndex,
    ancestors: Mapping[str, Iterable[str]],
    watched_ancestors: Mapping[str, Iterable[str]],
) -> dict[str, Matched]:
    """Subscriber key → the changes it receives, in the batch's order.

    ``ancestors``: the changed models' ancestors; ``watched_ancestors``: the ancestors of each model a
    MODEL subscriber watches.
    """
    roots = index.by_kind[ScopeKind.ROOT]
    licenses = index.by_kind[ScopeKind.LICENSE]
    terms = index.by_kind[ScopeKind.TERM]
    depends: dict[str, list[Subscriber]] = defaultdict(list)  # model → MODEL subscribers that depend on it
    for watched, subs in index.by_kind[ScopeKind.MODEL].items():
        for upstream in {watched, *watched_ancestors.get(watched, ())}:
            depends[upstream].extend(subs)
    out: dict[str, Matched] = {}
    for change in changes:
        found: dict[str, Subscriber] = {}
        model = change.model_id
        for sub in depends.get(model, ()):
            found[sub.key] = sub
        for root in (model, *ancestors.get(model, ())):
            for sub in roots.get(root, ()):
                found[sub.key] = sub
        for lic in change.licenses:
            for sub in licenses.get(lic, ()):
                found[sub.key] = sub
        for term in change.terms:
            for sub in terms.get(term, ()):
                found[sub.key] = sub
        for key, sub in found.items():
            if sub.wants(change.kind):
                out.setdefault(key, Matched(sub)).changes.append(change)
    return out
