/** The propagation tables: term flow, top relicensing points, conflicts by rule (with the models of a rule),
 * deployments reached. Every number carries `data-count` (what it counts) and `data-value`. */

import type { Propagation, ScopeConflicts, Severity } from "./api";
import { count, counted, h, shownOf, words } from "./dom";

export type SelectModel = (id: string) => void;
export type SelectRule = (rule: string, severity: Severity) => void;

const SEVERITY_MARK: Record<Severity, string> = { VIOLATION: "✖ violation", WARNING: "⚠ warning", INFO: "info" };

/** Rows shown before "Show all": long tables stay short, so what follows them (the model panel on a
 * narrow screen) is near. */
export const ROWS_SHOWN = 15;

export function severityText(severity: Severity): string {
  return SEVERITY_MARK[severity] ?? words(severity);
}

function table(
  caption: Node | string,
  headers: string[],
  rows: HTMLTableRowElement[],
  emptyText: string,
  id: string,
  extra: (Node | null)[] = [],
): HTMLElement {
  const section = h("section", { class: "panel-block", "aria-labelledby": `${id}-title` },
    h("div", { class: "block-head" }, h("h2", { id: `${id}-title` }, caption), ...extra));
  if (rows.length === 0) {
    section.append(h("p", { class: "empty" }, emptyText));
    return section;
  }
  const hidden = rows.slice(ROWS_SHOWN);
  for (const row of hidden) row.hidden = true;
  section.append(
    h("div", { class: "table-wrap" },
      h("table", { id },
        h("thead", {}, h("tr", {}, ...headers.map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, ...rows))),
  );
  if (hidden.length > 0) {
    const more = h("button", { type: "button", class: "secondary show-all", "aria-controls": id },
      `Show all ${count(rows.length)} rows`);
    more.addEventListener("click", () => {
      const showing = more.dataset.expanded === "true";
      for (const row of hidden) row.hidden = showing;
      more.dataset.expanded = showing ? "false" : "true";
      more.textContent = showing ? `Show all ${count(rows.length)} rows` : `Show the first ${ROWS_SHOWN} rows`;
    });
    section.append(h("p", { class: "table-more" }, `The first ${ROWS_SHOWN} of ${count(rows.length)} rows are shown. `, more));
  }
  return section;
}

function modelButton(id: string, select: SelectModel): HTMLButtonElement {
  const button = h("button", { type: "button", class: "link-button", "data-model": id, title: `Details of ${id}` }, id);
  button.addEventListener("click", () => select(id));
  return button;
}

function num(key: string, n: number, cls = "", text = count(n)): HTMLTableCellElement {
  return counted("td", key, n, text, { class: `num ${cls}`.trim() });
}

export function termFlowTable(p: Propagation): HTMLElement {
  const rows = [...p.termFlow]
    .sort((a, b) => b.violate - a.violate || b.drop - a.drop || a.termId.localeCompare(b.termId))
    .map((t) => {
      const total = t.keep + t.drop + t.violate;
      const bar = h("span", { class: "flow-bar", "aria-hidden": "true" },
        h("span", { class: "flow-keep", style: `width:${total ? (100 * t.keep) / total : 0}%` }),
        h("span", { class: "flow-drop", style: `width:${total ? (100 * t.drop) / total : 0}%` }),
        h("span", { class: "flow-violate", style: `width:${total ? (100 * t.violate) / total : 0}%` }));
      return h("tr", { "data-term": t.termId },
        h("th", { scope: "row" }, t.termId),
        h("td", {}, words(t.kind)),
        num(`termFlow:${t.termId}:keep`, t.keep),
        num(`termFlow:${t.termId}:drop`, t.drop, t.drop > 0 ? "drop" : ""),
        num(`termFlow:${t.termId}:violate`, t.violate, t.violate > 0 ? "violate" : "", t.violate > 0 ? `✖ ${count(t.violate)}` : "0"),
        h("td", {}, bar));
    });
  return table("Term flow: descendants (models below depth 0) that keep, drop or violate each term",
    ["Term", "Kind", "Keep (descendants)", "Drop (descendants)", "Violate (descendants)", "Share (keep / drop / violate)"],
    rows, "No terms flow through this scope.", "term-flow");
}

export function relicensingTable(p: Propagation, select: SelectModel): HTMLElement {
  const rows = p.topRelicensingPoints.map((r) =>
    h("tr", {},
      h("td", {}, modelButton(r.parent.id, select), h("span", { class: "arrow", "aria-label": "to" }, " → "), modelButton(r.child.id, select)),
      h("td", {}, r.fromLicense ?? "unknown", " → ", r.toLicense ?? "unknown"),
      h("td", {}, r.droppedTerms.length ? r.droppedTerms.join(", ") : "—"),
      num(`relicensing:${r.parent.id}>${r.child.id}:downstream`, r.downstreamCount)));
  return table("Top relicensing points: edges where a term is dropped (at most 25 models, most models downstream first)",
    ["Edge (parent → child)", "Licence change", "Dropped terms", "Models at and below the child"], rows,
    "No edge drops a term in this scope.", "relicensing");
}

export function conflictsTable(p: Propagation, onRule: SelectRule, csvUrl: string): HTMLElement {
  const rows = [...p.conflictsByRule]
    .sort((a, b) => b.conflicts - a.conflicts || b.models - a.models || a.ruleId.localeCompare(b.ruleId))
    .map((c) => {
      const rule = h("button", { type: "button", class: "link-button", "data-rule": c.ruleId, "data-severity": c.severity,
        title: `The models with ${c.ruleId} (${words(c.severity)}) in this scope` }, c.ruleId);
      rule.addEventListener("click", () => onRule(c.ruleId, c.severity));
      return h("tr", { class: `sev-${c.severity.toLowerCase()}` },
        h("th", { scope: "row" }, rule),
        h("td", {}, severityText(c.severity)),
        num(`rule:${c.ruleId}:${c.severity}:conflicts`, c.conflicts),
        num(`rule:${c.ruleId}:${c.severity}:models`, c.models));
    });
  const csv = h("a", { class: "button secondary", id: "export-csv", href: csvUrl, download: "" }, "Export CSV");
  const section = table("Conflicts by rule (click a rule for its models)",
    ["Rule", "Severity", "Conflicts", "Models with one or more"], rows, "No conflicts in this scope.", "conflicts",
    rows.length ? [csv] : []);
  section.append(h("div", { id: "rule-models", class: "rule-models", "aria-live": "polite" }));
  return section;
}

/** The models of one rule in the scope: a page of conflicts (more on request), with the CSV of that rule. */
export function ruleModelsBlock(
  rule: string,
  severity: Severity,
  found: ScopeConflicts,
  select: SelectModel,
  csvUrl: string,
  onMore: (() => void) | null,
  onClose: () => void,
): HTMLElement[] {
  const items = found.edges.map((c) =>
    h("li", { class: `sev-${c.severity.toLowerCase()}` }, modelButton(c.modelId, select), h("span", { class: "message" }, ` — ${c.message}`)));
  const close = h("button", { type: "button", class: "secondary", id: "rule-models-close" }, "Close");
  close.addEventListener("click", onClose);
  const more = onMore ? h("button", { type: "button", class: "secondary", id: "rule-models-more" }, "Show more") : null;
  if (more && onMore) more.addEventListener("click", onMore);
  return [
    h("h3", { id: "rule-models-title" }, `${rule} (${severityText(severity)}): its models in this scope`),
    h("p", { class: "rule-models-count" },
      counted("span", "ruleConflicts:shown", found.edges.length,
        found.edges.length < found.totalCount
          ? `The first ${count(found.edges.length)} of ${count(found.totalCount)} conflicts`
          : `All ${count(found.totalCount)} conflicts`,
        { "data-total": found.totalCount }),
      ", in ",
      counted("span", "ruleConflicts:models", found.models, `${count(found.models)} models`),
      " (one line per conflict, by model id). ",
      h("a", { href: csvUrl, download: "", class: "rule-csv" }, `Export ${rule} as CSV`)),
    h("ul", { class: "rule-model-list" }, ...items),
    h("p", { class: "actions" }, more, " ", close),
  ];
}

export function deploymentsTable(p: Propagation, select: SelectModel): HTMLElement {
  const rows = p.deploymentsReached.map((d) =>
    h("tr", {},
      h("th", { scope: "row" }, d.url ? h("a", { href: d.url, target: "_blank", rel: "noopener noreferrer" }, d.id) : d.id),
      h("td", {}, words(d.kind)),
      h("td", {}, modelButton(d.modelId, select)),
      h("td", {}, d.operator ?? "unknown"),
      h("td", {}, d.status ?? "unknown")));
  const caption = h("span", {}, "Deployments reached (",
    counted("span", "deploymentsListed", p.deploymentsReached.length,
      shownOf(p.deploymentsReached.length, p.deploymentsReachedCount), { "data-total": p.deploymentsReachedCount }),
    p.deploymentsReached.length < p.deploymentsReachedCount ? ", nearest first)" : ")");
  return table(caption, ["Deployment", "Kind", "Serves", "Operator", "Status"], rows,
    "No known deployment serves a model in this scope.", "deployments");
}
