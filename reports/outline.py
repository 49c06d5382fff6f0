"""The dossier as a document for people: summary first, then the parties (the chain), the lineage,
licences, terms, conflicts, the rules that could not be checked, the hosts (counted by kind, the
source's cap disclosed, then the first of them one by one), what is not known and the evidence
table (see :mod:`.document`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from reports.document import Code, Document, Inline, Link, Strong, Text
from reports.dossier import SCHEMA_ID, SCHEMA_VERSION, Dossier, SpanKind, format_instant, human_date
from reports.dossier.hosts import KIND_WORDS, cap_words, kind_words
from reports.dossier.model import ChainStep, ModelEntry, ObligationEntry, Sentence
from terms.licenses.model import TriState

__all__ = ["HOSTS_SHOWN", "ROLE_WORDS", "outline"]

HOSTS_SHOWN = 25
"""Hosts listed one by one in the document (all are counted; the JSON form lists up to its own cap)."""
_HOSTS_NAMED = 10
"""Hosts named in one "what each party owes" line; the rest are counted."""

ROLE_WORDS = {
    "original_provider": "original provider",
    "parent_not_recorded": "parent not recorded (not known to be an original)",
    "fine_tuner": "fine-tuner",
    "modifier": "modifier (how it modified is not recorded)",
    "merger": "merger",
    "adapter_author": "adapter author",
    "redistributor": "redistributor (quantizer or converter)",
    "host": "host",
    "inference_provider": "inference provider",
    "deployer": "deployer",
    "user": "user (anyone who uses the model or its outputs)",
    "licensor": "licensor of the declared material",
    "unknown": "unknown (never observed)",
}
_RELATION = {"quantized": "quantization", "finetune": "fine-tune", "adapter": "adapter", "merge": "merge",
             "unknown": "not recorded"}
_SEVERITY = {"violation": "Violation", "warning": "Warning", "info": "Note"}
_BASIS = {"licence": "licence", "ai_act": "EU AI Act", "dsa": "DSA"}
_SYSTEMIC = {TriState.YES: "presumed", TriState.NO: "not presumed"}
"""How the dossier words systemic risk (Art. 51(2) presumes it; ``no`` is "not presumed", not "none")."""
_SCOPE = {"full": "in full", "flowing": "terms that flow to derivatives", "naming": "naming duties only"}


def _when(value: object) -> str:
    return format_instant(value) if isinstance(value, datetime) else "—"


def _sentence(sentence: Sentence) -> list[Inline]:
    return [Text(s.text) if s.kind is SpanKind.TEXT else Code(s.text) for s in sentence.spans]


def _ev(ids: tuple[str, ...]) -> list[Inline]:
    out: list[Inline] = []
    for i, e in enumerate(ids):
        out += [Text(", ")] if i else []
        out.append(Code(e))
    return out or [Text("—")]


def _models_path(ids: Sequence[str]) -> list[Inline]:
    """``a → b → c`` with each id as code."""
    out: list[Inline] = []
    for i, model_id in enumerate(ids):
        out += [Text(" → ")] if i else []
        out.append(Code(model_id))
    return out


def _licence_path(steps: Sequence[tuple[str, str]]) -> list[Inline]:
    """``a (licence) → b (licence)``."""
    out: list[Inline] = []
    for i, (model_id, license_id) in enumerate(steps):
        out += [Text(" → ")] if i else []
        out += [Code(model_id), Text(" ("), Code(license_id), Text(")")]
    return out


def _licence_cell(m: ModelEntry) -> list[Inline]:
    if not m.known:
        return [Text("unknown (never observed)")]
    if m.license is None:
        return [Text("none declared")]
    out: list[Inline] = [Code(m.license)]
    if m.license == "unknown":
        out.append(Text(" (not recognised)"))
    elif m.license_title:
        out.append(Text(f" — {m.license_title}"))
    return out


def outline(dossier: Dossier) -> Document:
    """The document of a dossier, in reading order."""
    when = "as currently recorded" if dossier.as_of is None else human_date(dossier.as_of)
    doc = Document(title=f"Investigation dossier: {dossier.subject}")
    doc.h(1, "Investigation dossier: ", Code(dossier.subject))
    instant: list[Inline] = [Strong("Licences in force: "), Text(when)]
    if dossier.as_of is not None:
        instant += [Text(" ("), Code(format_instant(dossier.as_of)), Text(")")]
    elif dossier.latest_observation is not None:
        instant += [Text(f" (newest observation shown: {human_date(dossier.latest_observation)})")]
    doc.ul([
        instant,
        [Strong("Asked about: "), Code(dossier.asked)],
        [Strong("Content hash: "), Code(dossier.content_hash)],
        [Strong("Licence knowledge base: "), Code(dossier.kb_version)],
        [Strong("Generated: "), Text(format_instant(dossier.generated_at))],
    ])

    doc.h(2, "Summary")
    for sentence in dossier.summary:
        doc.p(*_sentence(sentence))

    _chain(doc, dossier)
    _lineage(doc, dossier)
    _licences(doc, dossier)
    _effective(doc, dossier)
    _conflicts(doc, dossier)
    _unchecked(doc, dossier)
    _deployments(doc, dossier)
    _file(doc, dossier)
    _unknowns(doc, dossier)
    _evidence(doc, dossier)
    doc.h(2, "How to cite this dossier")
    doc.p("The content hash ", Code(dossier.content_hash), " is the SHA-256 of the dossier's canonical JSON form "
          "(schema ", Code(SCHEMA_ID), f" version {SCHEMA_VERSION}: keys sorted, no whitespace, UTF-8), without "
          "its generation time. The same graph, instant and knowledge base give the same hash; any fact shown "
          "that changes changes it. Ask for the JSON form (format json) to check it.")
    return doc


def _chain(doc: Document, d: Dossier) -> None:
    doc.h(2, "Chain of parties and roles")
    doc.p("The parties responsible for the model: anyone who uses it, its publisher, and each party up to the "
          "original provider (or to a model whose parent is not recorded). Depth 0 is the model itself; each "
          "further step is one derivation up. Its hosts follow, counted by kind.")
    parties = [s for s in d.chain if s.deployment is None]
    doc.table(
        ("Depth", "Model", "Party", "Role", "Derived by", "Licences in force"),
        (
            (
                str(s.depth),
                [Code(s.model)] + ([Text(" via "), Code(s.deployment)] if s.deployment else []),
                Code(s.party) if s.party else ("anyone" if s.role == "user" else "unknown"),
                ROLE_WORDS.get(s.role, s.role),
                _RELATION.get(s.relation, s.relation) if s.relation else "—",
                _ev(s.licenses) if s.licenses else "—",
            )
            for s in parties
        ),
    )
    hosts = d.deployments
    if hosts.total:
        doc.p(Strong("Hosts: "), Text(_kinds_line(d) + " (see \"Hosts and deployments\" below)."))
    pointers = [s for s in d.chain if s.unknown]
    if pointers:
        doc.p("Not known on the chain:")
        doc.ul([Code(s.model), Text(": " + (s.unknown or ""))] for s in pointers)
    owed = [s for s in d.chain if s.obligations]
    if not owed:
        return
    doc.h(3, "What each party owes")
    groups: dict[tuple[str, tuple[ObligationEntry, ...]], list[ChainStep]] = {}
    for s in owed:  # hosts and providers owing the same are listed together
        key = (s.role, s.obligations) if s.deployment or s.role == "user" else (f"model:{s.model}", s.obligations)
        groups.setdefault(key, []).append(s)
    for steps in groups.values():
        first = steps[0]
        who: list[Inline | str] = []
        if first.deployment:
            who.append(Text(f"{ROLE_WORDS.get(first.role, first.role).capitalize()} ({len(steps)}) of "))
            who += [Code(first.model), Text(": ")]
            for i, s in enumerate(steps[:_HOSTS_NAMED]):
                who += ([Text(", ")] if i else []) + [Code(s.party) if s.party else Text("unknown"), Text(" ("),
                                                      Code(s.deployment or ""), Text(")")]
            if len(steps) > _HOSTS_NAMED:
                who.append(Text(f" and {len(steps) - _HOSTS_NAMED} more"))
        elif first.role == "user":
            who += [Text("Anyone who uses "), Code(first.model), Text(" or its outputs")]
        else:
            who += [Code(first.party) if first.party else Text("An unknown party"), Text(", "),
                    Text(ROLE_WORDS.get(first.role, first.role)), Text(" of "), Code(first.model)]
        doc.p(*who, Text(", owes:"))
        doc.ul(_obligation(o) for o in first.obligations)


def _obligation(o: ObligationEntry) -> list[Inline]:
    out: list[Inline] = [Text(o.text), Text(" (" + _BASIS.get(o.basis, o.basis))]
    if o.license:
        out += [Text(": "), Code(o.license)]
    return [*out, Text(")")]


def _later(count: int) -> list[Inline]:
    return [Text(f" ({count} later observations left out)")] if count else []


def _lineage(doc: Document, d: Dossier) -> None:
    doc.h(2, "Lineage")
    lineage = d.lineage
    if not lineage.paths:
        doc.p("No parent model is recorded for ", Code(d.subject), ".")
    else:
        doc.p(f"Every path from the model up to a model with no recorded parent ({len(lineage.paths)}):")
        doc.ul(_models_path(p) for p in lineage.paths)
    for cycle in lineage.cycles:
        doc.p(Strong("Cycle: "), *_models_path(cycle), Text(" (recorded as observed; each path stops where "
                                                                     "the cycle closes)."))
    if lineage.truncated:
        doc.p(Strong("Cut short: "), "the read's depth or path limit was reached; ancestors beyond it are not shown.")
    doc.h(3, "Derivations and their evidence")
    doc.table(
        ("Model", "Derived from", "Relation", "Confidence", "In force from", "Evidence"),
        (
            (Code(x.child), Code(x.parent), _RELATION.get(x.relation, x.relation), f"{x.confidence:g}",
             _when(x.valid_from) + (f" until {_when(x.valid_to)}" if x.valid_to else ""),
             _ev(x.evidence) + _later(x.later_evidence))
            for x in lineage.derivations
        ),
    )


def _licences(doc: Document, d: Dossier) -> None:
    doc.h(2, "Licence at each step")
    doc.table(
        ("Depth", "Model", "Status", "Publisher", "Licence declared", "Evidence"),
        (
            (str(m.depth), Code(m.id), m.status + (f", gate {m.gated}" if m.gated and m.gated != "open" else ""),
             ([Code(m.publisher)] + ([Text(" (namespace)")] if m.publisher_basis == "namespace" else []))
             if m.publisher else "unknown",
             _licence_cell(m),
             _ev(tuple(e for x in m.declarations if x.in_force for e in x.evidence) + m.evidence[:1]))
            for m in d.models
        ),
    )
    history = [(m, x) for m in d.models for x in m.declarations]
    if history:
        doc.h(3, "Licence history")
        doc.table(
            ("Model", "Licence", "What the hub said", "From", "Until", "In force at the instant", "Evidence"),
            (
                (Code(m.id), Code(x.license), Code(x.raw) if x.raw else "—", _when(x.valid_from),
                 _when(x.valid_to) if x.valid_to else "still declared", "yes" if x.in_force else "no", _ev(x.evidence))
                for m, x in history
            ),
        )
    if d.licenses:
        doc.h(3, "Licences named in this dossier")
        doc.table(
            ("Licence", "Name", "SPDX", "Source of its terms", "Checked against its text"),
            (
                (Code(lic.id), lic.title or "not in the knowledge base", Code(lic.spdx) if lic.spdx else "—",
                 [Link(u) for u in lic.sources[:1]] or "—", "yes" if lic.verified else "no")
                for lic in d.licenses
            ),
        )


def _effective(doc: Document, d: Dossier) -> None:
    doc.h(2, "Terms in force on ", Code(d.subject))
    r = d.result
    if r is None:
        doc.p("Unknown: the model was never observed itself, so no terms can be derived for it.")
        return
    doc.table(
        ("Licence", "How much applies", "Reaches the model through"),
        ((Code(lic.license_id), _SCOPE.get(lic.scope.value, lic.scope.value),
          _licence_path([(s.model_id, s.license_id) for s in lic.path])) for lic in r.licenses),
    )
    com = r.commercial
    line: list[Inline | str] = [Strong("Commercial use: "), Text(com.status.value.replace("_", " "))]
    if com.governing_license:
        line += [Text(", governed by "), Code(com.governing_license)]
    if com.mau_threshold is not None:
        line += [Text(f"; monthly active users threshold {com.mau_threshold:,}")]
    if com.revenue_threshold_usd is not None:
        line += [Text(f"; annual revenue threshold USD {com.revenue_threshold_usd:,}")]
    if com.missing:
        line += [Text("; unknown because of: " + "; ".join(com.missing))]
    doc.p(*line, Text("."))
    if r.restrictions:
        doc.p(Strong("Use restrictions in force"), Text(" (" + ("complete" if r.restrictions_complete else
                                                                "possibly incomplete: some terms upstream are unknown")
                                                        + "):"))
        doc.ul([Text(x.replace("_", " "))] for x in r.restrictions)
    others = [t for t in r.terms if t.kind != "restriction"]
    if others:
        doc.p(Strong("Other terms in force:"))
        doc.ul([Code(t.term_id), Text(f" ({t.kind.replace('_', ' ')}, from "), Code(t.license_id), Text(")")]
               for t in others)
    eu = r.eu_ai_act
    provider = eu.modifier_becomes_provider.value.replace("_", " ")
    systemic = _SYSTEMIC.get(eu.systemic_risk, eu.systemic_risk.value)
    basis = f" ({eu.systemic_risk_basis})" if eu.systemic_risk_basis else ""
    doc.p(Strong("EU AI Act: "), Text(
        f"open-source exemption {eu.oss_exemption.value} ({'; '.join(eu.oss_reasons)}); systemic risk "
        f"{systemic}{basis}; the modifier becomes the provider: {provider} ({eu.provider_basis})."))


def _conflicts(doc: Document, d: Dossier) -> None:
    doc.h(2, "Conflicts")
    r = d.result
    if r is None or not r.conflicts:
        doc.p("None found." if r is not None else "Unknown: no terms could be derived.")
    else:
        doc.table(
            ("Severity", "Rule", "What", "Path (model and licence)"),
            ((_SEVERITY.get(c.severity.value, c.severity.value), Code(c.rule), c.message,
              _licence_path([(s.model_id, s.license_id) for s in c.path])) for c in r.conflicts),
        )
    upstream = [m for m in d.models if m.depth > 0 and m.conflicts]
    if upstream:
        doc.h(3, "Conflicts of the ancestors themselves")
        doc.table(
            ("Model", "Severity", "Rule", "What"),
            ((Code(m.id), _SEVERITY.get(c.severity, c.severity), Code(c.rule), c.message)
             for m in upstream for c in m.conflicts),
        )


def _kinds_line(d: Dossier) -> str:
    """``at least 100 Hub Spaces and 3 inference providers`` (at least: a source capped a list)."""
    kinds = [kind_words(h.kind, h.total) for h in d.deployments.by_kind]
    joined = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
    return ("at least " if d.deployments.capped else "") + joined


def _unchecked(doc: Document, d: Dossier) -> None:
    doc.h(2, "What could not be checked")
    if d.result is None:
        doc.p("Nothing could be checked: the model was never observed itself, so no rule was applied to it.")
        return
    if not d.unchecked:
        doc.p("Every conflict rule that applies could be checked with the data recorded.")
        return
    doc.p("Rules that apply to the model but need a fact the graph does not hold; they are neither passed nor "
          "failed:")
    doc.table(
        ("Rule", "Severity if it fails", "What it checks", "Why it could not be checked"),
        ((Code(u.rule), _SEVERITY.get(u.severity or "", u.severity or "—"), u.meaning or "—", u.needs)
         for u in d.unchecked),
    )


def _deployments(doc: Document, d: Dossier) -> None:
    doc.h(2, "Hosts and deployments")
    deps = d.deployments
    if deps.total == 0:
        doc.p("None recorded: no Space, inference provider or registered deployment serving the model or a model "
              "derived from it is in the graph.")
        return
    doc.p(f"Serving the model (depth 0) or a model derived from it: {_kinds_line(d)}. A Space counts once for "
          "each model it names; many Spaces are playgrounds naming several models.")
    doc.table(
        ("Kind", "Recorded", "Serving the model itself", "Models served", "Most the source lists per model"),
        ((KIND_WORDS.get(h.kind, (h.kind, h.kind))[1], f"{h.total:,}", f"{h.direct:,}", f"{h.models:,}",
          f"{h.source_cap:,}" if h.source_cap is not None else "no limit")
         for h in deps.by_kind),
    )
    doc.ul([Strong("More may exist: "), Code(c.model), Text(f": {cap_words(h, c)}.")]
           for h in deps.by_kind for c in h.capped)
    shown = deps.listed[:HOSTS_SHOWN]
    if len(shown) < deps.total:
        doc.p(f"The first {len(shown):,} of {deps.total:,} (nearest first, then by model and id):")
    doc.table(
        ("Deployment", "Kind", "Operator", "Serves", "Depth", "Status", "URL", "Evidence"),
        ((Code(x.id), KIND_WORDS.get(x.kind, (x.kind,))[0] if x.kind else "—",
          Code(x.operator) if x.operator else "unknown", Code(x.model), str(x.depth), x.status or "—",
          Link(x.url) if x.url else "—", _ev(x.evidence)) for x in shown),
    )


def _file(doc: Document, d: Dossier) -> None:
    if d.file is None:
        return
    doc.h(2, "The weight file")
    doc.p("The file ", Code(d.file.sha256), f" is held by {len(d.file.holders)} model(s); the dossier follows the "
          "earliest observed holder.")
    doc.table(
        ("Model", "File name", "Size (bytes)", "Evidence"),
        ((Code(h.model), Code(h.name) if h.name else "—", f"{h.size:,}" if h.size is not None else "—", _ev(h.evidence))
         for h in d.file.holders),
    )


def _unknowns(doc: Document, d: Dossier) -> None:
    doc.h(2, "Not known")
    if not d.unknowns:
        doc.p("Nothing shown is unknown.")
        return
    doc.p("What this dossier cannot tell, and why:")
    doc.ul([Code(u.subject), Text(": " + u.what)] for u in d.unknowns)


def _evidence(doc: Document, d: Dossier) -> None:
    doc.h(2, "Evidence")
    doc.p("Where and when each fact above was read. Revision is the repository commit the observation saw "
          "(\"—\" when the hub gave none).")
    shown = {e for x in d.deployments.listed[:HOSTS_SHOWN] for e in x.evidence}
    unshown = {e for x in d.deployments.listed[HOSTS_SHOWN:] for e in x.evidence} - shown
    doc.table(
        ("Id", "Fact", "Detail", "Source", "Revision", "First observed", "Last observed"),
        ((Code(e.id), e.fact, e.detail or "—", Link(e.source_url) if e.source_url else "—",
          Code(e.revision) if e.revision else "—", _when(e.first_seen), _when(e.last_seen))
         for e in d.evidence if e.id not in unshown),
    )
    if unshown:
        doc.p(f"The evidence of the {len(d.deployments.listed) - HOSTS_SHOWN:,} hosts not listed above "
              f"({len(unshown):,} rows) is in the JSON form.")
