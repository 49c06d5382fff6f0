"""Write statements: one batched ``UNWIND $rows … MERGE`` statement per label or relationship type.

Row shapes (times ``t``, ``first``, ``created``, ``modified`` as epoch microseconds, see ``DT``):

* node rows: ``{key, t, first, url, rev, props}``
* model rows: ``{id, t, url, rev, status, gate, created, modified, props}``
* mention rows: ``{id, t, url, rev}``
* versioned link rows: ``{model, target, t, url, rev, props}``
* link rows: ``{src, dst, t, first, url, rev, props}``
* problem rows: ``{model, kind, message, t, url}``

``$run`` is the crawl run id stamped on everything a row touches. Evidence rules, the same on
every node and relationship: ``first_seen`` only moves earlier; ``last_seen``, ``last_run``,
``source_url``, ``revision`` and the row's properties are taken only from an observation at
least as new as ``last_seen`` — so writing the same rows again changes nothing. A model known
so far only as someone's parent (no status history) takes its first own observation whatever
its time: the mention that created it may carry a later time.
"""

from __future__ import annotations

from graph.records import LinkType, NodeLabel, VersionedLinkType

__all__ = [
    "CREATED_DECLARES_PROPS",
    "CREATED_MODEL_PROPS",
    "CREATED_PUBLISHED_PROPS",
    "DT",
    "ROWS",
    "LINK_UPSERT",
    "MODEL_ABSENT",
    "MODEL_CREATE",
    "MODEL_MENTION",
    "MODEL_UNAVAILABLE",
    "MODEL_UPSERT",
    "NODE_KEY",
    "NODE_UPSERT",
    "PROBLEM_UPSERT",
    "VERSIONED_UPSERT",
]

def DT(expr: str) -> str:  # noqa: N802 - reads like the Cypher function it stands for
    """Cypher turning epoch microseconds (graph.history.to_micros) into a UTC datetime."""
    return f"datetime({{epochSeconds: {expr} / 1000000, nanosecond: {expr} % 1000000 * 1000}})"


# Every write statement starts here: rows arrive with times as epoch microseconds.
ROWS = (
    "UNWIND $rows AS row\n"
    "WITH row {.*, t: " + DT("row.t") + ", "
    "first: CASE WHEN row.first IS NULL THEN null ELSE " + DT("row.first") + " END} AS r\n"
)

NODE_KEY: dict[NodeLabel, str] = {
    NodeLabel.PARTY: "id",
    NodeLabel.LICENSE: "id",
    NodeLabel.DATASET: "id",
    NodeLabel.DEPLOYMENT: "id",
    NodeLabel.FILE: "sha256",
}

_NEWER = "CASE WHEN {v}.last_seen IS NULL OR r.t >= {v}.last_seen THEN [1] ELSE [] END"
_FIRST = "{v}.first_seen = CASE WHEN {v}.first_seen IS NULL OR r.first < {v}.first_seen THEN r.first ELSE {v}.first_seen END"
_STAMP = "{v}.last_seen = r.t, {v}.last_run = $run, {v}.source_url = r.url, {v}.revision = r.rev, {v} += r.props"

_NODE_TEMPLATE = ROWS.replace("{", "{{").replace("}", "}}") + """MERGE (n:{label} {{{key}: r.key}})
SET {first}
WITH n, r
FOREACH (_ IN {newer} | SET {stamp})
"""

NODE_UPSERT: dict[NodeLabel, str] = {
    label: _NODE_TEMPLATE.format(
        label=label.value,
        key=key,
        first=_FIRST.format(v="n"),
        newer=_NEWER.format(v="n"),
        stamp=_STAMP.format(v="n"),
    )
    for label, key in NODE_KEY.items()
}

MODEL_UPSERT = ROWS + """MERGE (m:Model {id: r.id})
ON CREATE SET m.status = 'unknown', m.search_id = toLower(r.id)
SET m.first_seen = CASE WHEN m.first_seen IS NULL OR r.t < m.first_seen THEN r.t ELSE m.first_seen END,
    m.listed_at = CASE WHEN r.known = 'listed' AND (m.listed_at IS NULL OR r.t > m.listed_at) THEN r.t ELSE m.listed_at END,
    m.crawled_at = CASE WHEN r.known = 'crawled' AND (m.crawled_at IS NULL OR r.t > m.crawled_at) THEN r.t ELSE m.crawled_at END
WITH m, r, (m.last_seen IS NULL OR r.t >= m.last_seen OR m.status_history IS NULL) AS newer,
     coalesce(m.status_history, []) AS sh, coalesce(m.status_valid_from, []) AS sf,
     coalesce(m.gate_history, []) AS gh, coalesce(m.gate_valid_from, []) AS gf
FOREACH (_ IN CASE WHEN newer THEN [1] ELSE [] END |
  SET m.last_seen = r.t, m.last_run = $run, m.source_url = r.url, m.revision = r.rev, m += r.props,
      m.created_at = CASE WHEN r.created IS NULL THEN m.created_at ELSE """ + DT("r.created") + """ END,
      m.last_modified = CASE WHEN r.modified IS NULL THEN m.last_modified ELSE """ + DT("r.modified") + """ END
  REMOVE m.stale, m.stale_since, m.stale_run)
FOREACH (_ IN CASE WHEN r.status IS NOT NULL AND (size(sf) = 0 OR (r.t > last(sf) AND newer AND last(sh) <> r.status))
              THEN [1] ELSE [] END |
  SET m.status_history = sh + r.status, m.status_valid_from = sf + r.t, m.status = r.status)
FOREACH (_ IN CASE WHEN r.gate IS NOT NULL AND (size(gf) = 0 OR (r.t > last(gf) AND last(gh) <> r.gate))
              THEN [1] ELSE [] END |
  SET m.gate_history = gh + r.gate, m.gate_valid_from = gf + r.t, m.gated = r.gate)
"""

# ids of the batch the graph does not hold at all (not even as a mention or a parent)
MODEL_ABSENT = """
UNWIND $ids AS id
OPTIONAL MATCH (m:Model {id: id})
WITH id WHERE m IS NULL
RETURN collect(id) AS ids
"""


def _opt_dt(expr: str) -> str:
    return f"CASE WHEN {expr} IS NULL THEN null ELSE {DT(expr)} END"


# Properties MODEL_CREATE writes by name (graph.mapping's model props, times aside) and those of
# a DECLARES version. Named, not ``+= r.props``: a map of unknown keys makes Cypher materialise
# every row between reads and writes (Eager), which costs more than the writes. The model's
# values arrive as a list in this order (``vals``): reading ``r.props.license_name`` would
# conflict with writing ``v.license_name`` and bring the Eager back. The writer sends a model
# whose rows hold any other key through the upserts.
CREATED_MODEL_PROPS = (
    "hub", "name", "author", "pipeline_tag", "library", "sha", "downloads", "likes", "params", "params_source",
    "training_compute_flops", "license_raw", "license_name", "license_link", "tags", "datasets", "license_recorded",
)  # fmt: skip
CREATED_DECLARES_PROPS = ("raw", "license_name", "license_link")
CREATED_PUBLISHED_PROPS: tuple[str, ...] = ()


def _listed(var: str, source: str, keys: tuple[str, ...]) -> str:
    return "".join(f", {var}.{k} = {source}[{i}]" for i, k in enumerate(keys))


def _version(var: str, row: str, keys: tuple[str, ...]) -> str:
    """The properties VERSIONED_UPSERT gives a first version (no open one before it)."""
    t = DT(row + ".t")  # one SET evaluates every value before it assigns any
    return (
        f"SET {var}.valid_from = {t}, {var}.first_seen = {t}, {var}.last_seen = {t}, {var}.observed_at = {t}, "
        f"{var}.last_run = $run, {var}.source_url = {row}.url, {var}.revision = {row}.rev"
        + _listed(var, row + ".vals", keys)
    )


# A model new to the graph with its publisher and declared licence, in one statement: what
# MODEL_UPSERT, VERSIONED_UPSERT (no open version yet) and DERIVED_CLOSE_MISSING (no edges yet)
# leave on a model the graph did not hold, written without reading it first. rows: model rows
# (see above; ``vals`` instead of ``props``) + ``full``: the time of its full observation (epoch µs)
# or null, ``pub`` / ``lic``: {target, t, url, rev, vals} (vals in CREATED_*_PROPS order) or null.
# The caller has proved absence (MODEL_ABSENT); a model created meanwhile fails the unique
# constraint. Party and License nodes are written before.
MODEL_CREATE = ROWS + """OPTIONAL MATCH (a:Party {id: r.pub.target})
OPTIONAL MATCH (l:License {id: r.lic.target})
CREATE (m:Model {id: r.id})
SET m.status = coalesce(r.status, 'unknown')""" + _listed("m", "r.vals", CREATED_MODEL_PROPS) + """,
    m.search_id = toLower(r.id), m.first_seen = r.t, m.last_seen = r.t, m.last_run = $run, m.source_url = r.url, m.revision = r.rev,
    m.listed_at = CASE WHEN r.known = 'listed' THEN r.t END,
    m.crawled_at = CASE WHEN r.known = 'crawled' THEN r.t END,
    m.created_at = """ + _opt_dt("r.created") + """,
    m.last_modified = """ + _opt_dt("r.modified") + """,
    m.status_history = CASE WHEN r.status IS NULL THEN null ELSE [r.status] END,
    m.status_valid_from = CASE WHEN r.status IS NULL THEN null ELSE [r.t] END,
    m.gate_history = CASE WHEN r.gate IS NULL THEN null ELSE [r.gate] END,
    m.gate_valid_from = CASE WHEN r.gate IS NULL THEN null ELSE [r.t] END,
    m.gated = r.gate,
    m.author = CASE WHEN a IS NULL THEN r.vals[""" + str(CREATED_MODEL_PROPS.index("author")) + """] ELSE a.id END,
    m.declared_license = l.id,
    m.last_full_at = """ + _opt_dt("r.full") + """
FOREACH (_ IN CASE WHEN a IS NULL THEN [] ELSE [1] END |
  CREATE (a)-[v:PUBLISHED]->(m)
  """ + _version("v", "r.pub", CREATED_PUBLISHED_PROPS) + """)
FOREACH (_ IN CASE WHEN l IS NULL THEN [] ELSE [1] END |
  CREATE (m)-[v:DECLARES]->(l)
  """ + _version("v", "r.lic", CREATED_DECLARES_PROPS) + """)
"""

MODEL_MENTION = ROWS + """MERGE (m:Model {id: r.id})
ON CREATE SET m.status = 'unknown', m.search_id = toLower(r.id), m.first_seen = r.t, m.last_seen = r.t, m.last_run = $run,
              m.source_url = r.url, m.revision = r.rev
"""

MODEL_UNAVAILABLE = ROWS + """MERGE (m:Model {id: r.id})
ON CREATE SET m.status = 'unknown', m.search_id = toLower(r.id), m.first_seen = r.t, m.last_seen = r.t, m.last_run = $run,
              m.source_url = r.url, m.revision = r.rev
SET m.unavailable_at = CASE WHEN m.unavailable_at IS NULL OR r.t > m.unavailable_at THEN r.t ELSE m.unavailable_at END
WITH m WHERE m.status = 'unknown'
SET m.status = 'unavailable'
"""

_VERSIONED_TEMPLATE = ROWS.replace("{", "{{").replace("}", "}}") + """MATCH (m:Model {{id: r.model}})
MATCH (t:{target} {{id: r.target}})
OPTIONAL MATCH {open_pattern} WHERE cur.valid_to IS NULL
WITH r, m, t, cur, (cur IS NOT NULL AND ct = t) AS same
FOREACH (_ IN CASE WHEN same AND r.t < cur.first_seen THEN [1] ELSE [] END | SET cur.first_seen = r.t)
FOREACH (_ IN CASE WHEN same AND r.t >= cur.last_seen THEN [1] ELSE [] END |
  SET cur.last_seen = r.t, cur.observed_at = r.t, cur.last_run = $run, cur.source_url = r.url,
      cur.revision = r.rev, cur += r.props)
FOREACH (_ IN CASE WHEN cur IS NOT NULL AND NOT same AND r.t > cur.valid_from AND r.t > cur.first_seen
              THEN [1] ELSE [] END |
  SET cur.valid_to = r.t)
WITH r, m, t, cur, same
WHERE cur IS NULL OR (NOT same AND r.t > cur.valid_from AND r.t > cur.first_seen)
CREATE {new_pattern}
SET v.valid_from = r.t, v.first_seen = r.t, v.last_seen = r.t, v.observed_at = r.t, v.last_run = $run,
    v.source_url = r.url, v.revision = r.rev, v += r.props
SET m.{model_prop} = r.target
"""

VERSIONED_UPSERT: dict[VersionedLinkType, str] = {
    VersionedLinkType.DECLARES: _VERSIONED_TEMPLATE.format(
        target="License",
        open_pattern="(m)-[cur:DECLARES]->(ct:License)",
        new_pattern="(m)-[v:DECLARES]->(t)",
        model_prop="declared_license",
    ),
    VersionedLinkType.PUBLISHED: _VERSIONED_TEMPLATE.format(
        target="Party",
        open_pattern="(ct:Party)-[cur:PUBLISHED]->(m)",
        new_pattern="(t)-[v:PUBLISHED]->(m)",
        model_prop="author",
    ),
}

_LINK_ENDS: dict[LinkType, tuple[str, str, str, str]] = {
    LinkType.SERVES: ("Deployment", "id", "Model", "id"),
    LinkType.OPERATES: ("Party", "id", "Deployment", "id"),
    LinkType.TRAINED_ON: ("Model", "id", "Dataset", "id"),
    LinkType.HAS_FILE: ("Model", "id", "File", "sha256"),
}

_LINK_TEMPLATE = ROWS.replace("{", "{{").replace("}", "}}") + """MATCH (a:{src_label} {{{src_key}: r.src}})
MATCH (b:{dst_label} {{{dst_key}: r.dst}})
MERGE (a)-[x:{type}]->(b)
SET {first}
WITH x, r
FOREACH (_ IN {newer} | SET {stamp})
"""

LINK_UPSERT: dict[LinkType, str] = {
    link: _LINK_TEMPLATE.format(
        src_label=ends[0],
        src_key=ends[1],
        dst_label=ends[2],
        dst_key=ends[3],
        type=link.value,
        first=_FIRST.format(v="x"),
        newer=_NEWER.format(v="x"),
        stamp=_STAMP.format(v="x"),
    )
    for link, ends in _LINK_ENDS.items()
}

PROBLEM_UPSERT = ROWS + """MATCH (m:Model {id: r.model})
WITH m, r, coalesce(m.problem_kind, []) AS kinds
WITH m, r, kinds,
     [i IN range(0, size(kinds) - 1) WHERE kinds[i] = r.kind AND m.problem_message[i] = r.message][0] AS i
FOREACH (_ IN CASE WHEN i IS NULL THEN [1] ELSE [] END |
  SET m.problem_kind = kinds + r.kind,
      m.problem_message = coalesce(m.problem_message, []) + r.message,
      m.problem_url = coalesce(m.problem_url, []) + r.url,
      m.problem_first_seen = coalesce(m.problem_first_seen, []) + r.t,
      m.problem_last_seen = coalesce(m.problem_last_seen, []) + r.t)
FOREACH (_ IN CASE WHEN i IS NOT NULL AND r.t > m.problem_last_seen[i] THEN [1] ELSE [] END |
  SET m.problem_last_seen = [j IN range(0, size(kinds) - 1) |
                             CASE WHEN j = i THEN r.t ELSE m.problem_last_seen[j] END])
FOREACH (_ IN CASE WHEN i IS NOT NULL AND r.t < m.problem_first_seen[i] THEN [1] ELSE [] END |
  SET m.problem_first_seen = [j IN range(0, size(kinds) - 1) |
                              CASE WHEN j = i THEN r.t ELSE m.problem_first_seen[j] END])
"""
