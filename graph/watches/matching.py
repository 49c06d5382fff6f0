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
    """Subscriber key → the changes it receives, in the order of ``changes`` (each once).

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
    by_model: dict[str, list[Subscriber]] = {}  # changes of one model reach the same model and root subscribers
    by_concern: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Subscriber]] = {}  # … and of one (licences, terms)
    out: dict[str, Matched] = {}
    for change in changes:
        model = change.model_id
        if model not in by_model:
            found = list(depends.get(model, ()))
            for root in (model, *ancestors.get(model, ())):
                found.extend(roots.get(root, ()))
            by_model[model] = found
        concern = (change.licenses, change.terms)
        if concern not in by_concern:
            found = [sub for lic in change.licenses for sub in licenses.get(lic, ())]
            found.extend(sub for term in change.terms for sub in terms.get(term, ()))
            by_concern[concern] = found
        heard: set[str] = set()
        for sub in (*by_model[model], *by_concern[concern]):
            if sub.key not in heard and sub.wants(change.kind):
                heard.add(sub.key)
                matched = out.get(sub.key)
                if matched is None:
                    matched = out[sub.key] = Matched(sub)
                matched.changes.append(change)
    return out
