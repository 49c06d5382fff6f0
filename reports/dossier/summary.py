"""The dossier's summary: plain sentences for a reader who is not an engineer.

"X is a quantization of Y, published by Z; … under the licence in force on <date> …".
Sentences are built from spans so that each format can show model ids, parties and licence
ids as such (code in Markdown, escaped in HTML); the JSON form carries the joined text.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from reports.dossier.hosts import cap_words, kind_words
from reports.dossier.model import Dossier, ModelEntry, Sentence, Span, SpanKind

__all__ = ["RELATION_WORDS", "human_date", "summarise"]

RELATION_WORDS = {
    "quantized": "a quantization of",
    "finetune": "a fine-tune of",
    "adapter": "an adapter trained on",
    "merge": "a merge of",
    "unknown": "derived (how is not recorded) from",
}
_RELATION_NOUN = {"quantized": "quantization", "finetune": "fine-tune", "adapter": "adapter", "merge": "merge",
                  "unknown": "relation not recorded"}
_SCOPE_WORDS = {"full": "in full", "flowing": "the terms that flow to derivatives", "naming": "its naming duties"}
_MAX_CHAIN_SENTENCES = 6
_NO_PARENT = "parent_not_recorded"  # the engine's role for a parentless model not known to be an original


def human_date(value: datetime) -> str:
    """``1 September 2024, 00:00 UTC``."""
    utc = value.astimezone(UTC)
    clock = utc.strftime("%H:%M:%S" if utc.second or utc.microsecond else "%H:%M")
    return f"{utc.day} {utc:%B} {utc.year}, {clock} UTC"


class _S:
    """A sentence under construction."""

    def __init__(self) -> None:
        self.spans: list[Span] = []

    def t(self, text: str) -> _S:
        self.spans.append(Span(SpanKind.TEXT, text))
        return self

    def m(self, model_id: str) -> _S:
        self.spans.append(Span(SpanKind.MODEL, model_id))
        return self

    def p(self, party: str) -> _S:
        self.spans.append(Span(SpanKind.PARTY, party))
        return self

    def lic(self, license_id: str) -> _S:
        self.spans.append(Span(SpanKind.LICENSE, license_id))
        return self

    def each(self, items: Iterable[str], add: str) -> _S:
        """Items joined as "a", "a and b", "a, b and c" (``add``: "m", "p" or "lic")."""
        values = list(items)
        for i, value in enumerate(values):
            if i and i == len(values) - 1:
                self.t(" and ")
            elif i:
                self.t(", ")
            getattr(self, add)(value)
        return self

    def done(self) -> Sentence:
        return Sentence(tuple(self.spans))


def _parents(dossier: Dossier, model_id: str) -> list[tuple[str, str]]:
    return sorted((d.parent, d.relation) for d in dossier.lineage.derivations if d.child == model_id)


def _status(s: _S, m: ModelEntry | None) -> _S:
    """A note after a model's id when it is deleted or gated."""
    if m is not None and m.status == "deleted":
        s.t(" (deleted from the hub)")
    elif m is not None and (m.status == "gated" or m.gated in ("auto", "manual")):
        s.t(" (gated on the hub)")
    return s


def _publisher(s: _S, m: ModelEntry | None) -> None:
    if m is None or m.publisher is None:
        s.t(", publisher unknown")
    elif m.publisher_basis == "published":
        s.t(", published by ").p(m.publisher)
    else:
        s.t(", in the namespace of ").p(m.publisher)


def _derived(s: _S, parents: list[tuple[str, str]]) -> None:
    relations = {rel for _, rel in parents}
    if len(relations) == 1:
        s.t(RELATION_WORDS.get(relations.pop(), "derived from") + " ").each([p for p, _ in parents], "m")
        return
    s.t("derived from ")
    for i, (parent, rel) in enumerate(parents):
        s.t(", " if 0 < i < len(parents) - 1 else (" and " if i else ""))
        s.m(parent).t(f" ({_RELATION_NOUN.get(rel, rel)})")


def _identity(dossier: Dossier) -> list[Sentence]:
    out: list[Sentence] = []
    subject = dossier.model(dossier.subject)
    if dossier.file is not None:
        s = _S().t("The file ").m(dossier.file.sha256).t(" is held by ").m(dossier.subject)
        others = len(dossier.file.holders) - 1
        if others:
            s.t(f" and {others} other model{'s' if others > 1 else ''}; this dossier follows ").m(dossier.subject)
            s.t(", the earliest observed holder.")
        else:
            s.t(".")
        out.append(s.done())
    parents = _parents(dossier, dossier.subject)
    s = _status(_S().m(dossier.subject), subject)
    if dossier.file is None and dossier.asked != dossier.subject:
        s.t(" (asked as ").m(dossier.asked).t(", an old id of it)")
    if subject is not None and not subject.known:
        out.append(s.t(" is known only as a parent named by other models; it was never observed itself.").done())
        return out
    if parents:
        s.t(" is ")
        _derived(s, parents)
        _publisher(s, subject)
        out.append(s.t(".").done())
    elif subject is not None and subject.role == _NO_PARENT:
        _publisher(s, subject)
        out.append(s.t(", has no recorded parent model and is not known to be an original: whether it was "
                       "trained from scratch or derived from another model is unknown.").done())
    else:
        s.t(" is an original model")
        _publisher(s, subject)
        out.append(s.t(": no parent model is recorded.").done())
    return out


def _chain(dossier: Dossier) -> list[Sentence]:
    out: list[Sentence] = []
    paths = dossier.lineage.paths
    if not paths:
        return out
    steps = paths[0][1:]
    for model_id in steps[:_MAX_CHAIN_SENTENCES]:
        m = dossier.model(model_id)
        parents = _parents(dossier, model_id)
        s = _status(_S().m(model_id), m)
        if m is not None and not m.known:
            out.append(s.t(" was never observed itself, so what lies above it is unknown.").done())
        elif parents:
            s.t(" is in turn ")
            _derived(s, parents)
            _publisher(s, m)
            out.append(s.t(".").done())
        elif m is not None and m.role == _NO_PARENT:
            _publisher(s, m)
            out.append(s.t(", has no recorded parent and is not known to be an original.").done())
        else:
            _publisher(s, m)
            out.append(s.t(", is the original model.").done())
    if len(steps) > _MAX_CHAIN_SENTENCES:
        more = len(steps) - _MAX_CHAIN_SENTENCES
        out.append(_S().t(f"The chain continues for {more} more steps (see below).").done())
    if len(paths) > 1:
        s = _S().t(f"Its lineage has {len(paths)} paths back to {len(dossier.lineage.roots)} "
                   f"model{'s' if len(dossier.lineage.roots) != 1 else ''} with no recorded parent (")
        out.append(s.each(dossier.lineage.roots, "m").t("); every path is listed below.").done())
    return out


def _licence_words(m: ModelEntry) -> tuple[str, str | None, str | None]:
    """(words before the licence id, the id or None, words after) for one model's declaration."""
    if not m.known:
        return ("unknown", None, None)
    if m.license is None:
        return ("declared no licence", None, None)
    if m.license == "unknown":
        return ("declared a licence that is not recognised", None, None)
    return ("declared ", m.license, f" ({m.license_title})" if m.license_title else None)


def _licences(dossier: Dossier) -> list[Sentence]:
    when = ("as currently recorded" if dossier.as_of is None else f"on {human_date(dossier.as_of)}")
    s = _S().t(f"Under the licences in force {when}, ")
    shown = list(dossier.models)  # the subject, then every ancestor by depth
    groups: list[tuple[tuple[str, str | None, str | None], list[str]]] = []
    for m in shown:  # consecutive models saying the same are named together
        words = _licence_words(m)
        if groups and groups[-1][0] == words:
            groups[-1][1].append(m.id)
        else:
            groups.append((words, [m.id]))
    for i, ((before, licence, after), ids) in enumerate(groups):
        s.t("; " if i else "")
        if before == "unknown":
            verb = "are" if len(ids) > 1 else "is"
            s.t("the licence of " if len(ids) == 1 else "the licences of ").each(ids, "m")
            s.t(f" {verb} unknown (never observed)")
            continue
        s.each(ids, "m").t(" " + before)
        if licence is not None:
            s.lic(licence)
        if after:
            s.t(after)
    out = [s.t(".").done()]
    subject = dossier.model(dossier.subject)
    if subject is not None and len(subject.declarations) > 1:
        h = _S().t("Its declared licence changed over time: ")
        previous_end = None
        for i, d in enumerate(subject.declarations):
            if previous_end is not None and d.valid_from != previous_end:
                h.t(f" until {human_date(previous_end)}")
            h.t("; " if i else "").lic(d.license)
            h.t(f" from {human_date(d.valid_from)}" if d.valid_from else "")
            previous_end = d.valid_to
        if previous_end is not None:
            h.t(f" until {human_date(previous_end)}")
        out.append(h.t(".").done())
    return out


def _terms(dossier: Dossier) -> list[Sentence]:
    result = dossier.result
    if result is None:
        return []
    out: list[Sentence] = []
    if result.licenses:
        s = _S().t("The terms that apply to it come from ")
        for i, lic in enumerate(result.licenses):
            s.t(", " if 0 < i < len(result.licenses) - 1 else (" and " if i else ""))
            s.lic(lic.license_id).t(f" ({_SCOPE_WORDS.get(lic.scope.value, lic.scope.value)}")
            if lic.inherited:
                s.t(", through ").m(lic.path[-1].model_id)
            s.t(")")
        out.append(s.t(".").done())
    com = result.commercial
    status = com.status.value
    s = _S()
    if status == "allowed":
        s.t("Commercial use is allowed")
    elif status == "conditional":
        s.t("Commercial use is allowed on conditions")
        if com.mau_threshold is not None:
            s.t(f": above {com.mau_threshold:,} monthly active users a separate licence is needed")
            if com.mau_license:
                s.t(" (").lic(com.mau_license).t(")")
        if com.revenue_threshold_usd is not None:
            s.t(f"; above USD {com.revenue_threshold_usd:,} annual revenue a separate licence is needed")
            if com.revenue_license:
                s.t(" (").lic(com.revenue_license).t(")")
    elif status == "non_commercial":
        s.t("Commercial use is not allowed (non-commercial terms)")
    elif status == "research_only":
        s.t("Only research use is allowed")
    elif status == "no_distribution":
        s.t("The model may not be distributed at all")
    else:
        s.t("Whether commercial use is allowed is unknown")
        if com.known_floor is not None:
            s.t(f" (the known terms alone would make it: {com.known_floor.value.replace('_', ' ')})")
    if com.governing_license and status != "unknown":
        s.t(", under ").lic(com.governing_license)
    out.append(s.t(".").done())
    return out


def _conflicts(dossier: Dossier) -> list[Sentence]:
    result = dossier.result
    if result is None:
        return []
    if not result.conflicts:
        return [_S().t("No conflict was found between the licences along this lineage.").done()]
    counts = {sev: sum(1 for c in result.conflicts if c.severity.value == sev)
              for sev in ("violation", "warning", "info")}
    parts = [f"{n} {word}{'s' if n != 1 else ''}" for word, n in
             (("violation", counts["violation"]), ("warning", counts["warning"]), ("note", counts["info"])) if n]
    s = _S().t(f"{len(result.conflicts)} conflict{'s were' if len(result.conflicts) != 1 else ' was'} found ("
               + ", ".join(parts) + "). The most serious: " + result.conflicts[0].message.rstrip(".") + ".")
    return [s.done()]


def _deployments(dossier: Dossier) -> list[Sentence]:
    """Hosts by kind, with the totals and any cap of the source: a capped count is a floor, not a total."""
    deps = dossier.deployments
    if deps.total == 0:
        return [_S().t("No deployment serving it or a model derived from it is recorded.").done()]
    kinds = [kind_words(h.kind, h.total) for h in deps.by_kind]
    direct = sum(h.direct for h in deps.by_kind)
    floor = "At least " if deps.capped else ""
    text = _joined(kinds)
    s = _S().t(floor + (text if floor else text[:1].upper() + text[1:]))
    s.t(f" {'serve' if deps.total != 1 else 'serves'} it or models derived from it ({floor.lower()}{deps.total:,} "
        f"deployment{'s' if deps.total != 1 else ''}, {direct:,} of them serving it directly).")
    out = [s.done()]
    for host in deps.by_kind:
        for capped in host.capped:
            out.append(_S().t("For ").m(capped.model).t(", " + cap_words(host, capped) + ".").done())
    return out


def _joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _unknowns(dossier: Dossier) -> list[Sentence]:
    out = []
    for cycle in dossier.lineage.cycles:
        s = _S().t("The recorded lineage contains a cycle: ")
        for i, model_id in enumerate(cycle):
            s.t(" → " if i else "").m(model_id)
        out.append(s.t("; each path is followed until the cycle closes.").done())
    n = len(dossier.unknowns)
    if n:
        out.append(_S().t(f"{n} thing{'s are' if n != 1 else ' is'} unknown and stated as such below.").done())
    if dossier.unchecked:
        rules = [u.rule for u in dossier.unchecked]
        s = _S().t(f"{len(rules)} conflict rule{'s' if len(rules) != 1 else ''} could not be checked for lack of "
                   "data (")
        out.append(s.t(", ".join(rules) + "): see \"What could not be checked\".").done())
    return out


def summarise(dossier: Dossier) -> tuple[Sentence, ...]:
    """The summary sentences, most important first."""
    return (
        *_identity(dossier),
        *_chain(dossier),
        *_licences(dossier),
        *_terms(dossier),
        *_conflicts(dossier),
        *_deployments(dossier),
        *_unknowns(dossier),
    )
