/** The propagation tables: term flow, top relicensing points, conflicts by rule, deployments reached. */

import type { Propagation, Severity } from "./api";
import { count, h, words } from "./dom";

export type SelectModel = (id: string) => void;

const SEVERITY_MARK: Record<Severity, string> = { VIOLATION: "✖ violation", WARNING: "⚠ warning", INFO: "info" };

export function severityText(severity: Severity): string {
  return SEVERITY_MARK[severity] ?? words(severity);
}

function table(caption: string, headers: string[], rows: HTMLTableRowElement[], emptyText: string, id: string): HTMLElement {
  const section = h("section", { class: "panel-block", "aria-labelledby": `${id}-title` }, h("h2", { id: `${id}-title` }, caption));
  if (rows.length === 0) {
    section.append(h("p", { class: "empty" }, emptyText));
    return section;
  }
  section.append(
    h("div", { class: "table-wrap" },
      h("table", { id },
        h("thead", {}, h("tr", {}, ...headers.map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, ...rows))),
  );
  return section;
}

function modelButton(id: string, select: SelectModel): HTMLButtonElement {
  const button = h("button", { type: "button", class: "link-button", "data-model": id, title: `Details of ${id}` }, id);
  button.addEventListener("click", () => select(id));
  return button;
}

function num(n: number, cls = ""): HTMLTableCellElement {
  return h("td", { class: `num ${cls}`.trim() }, count(n));
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
        num(t.keep),
        num(t.drop, t.drop > 0 ? "drop" : ""),
        h("td", { class: `num ${t.violate > 0 ? "violate" : ""}`.trim() }, t.violate > 0 ? `✖ ${count(t.violate)}` : "0"),
        h("td", {}, bar));
    });
  return table("Term flow: descendants that keep, drop or violate each term",
    ["Term", "Kind", "Keep", "Drop", "Violate", "Share (keep / drop / violate)"], rows, "No terms flow through this scope.", "term-flow");
}

export function relicensingTable(p: Propagation, select: SelectModel): HTMLElement {
  const rows = p.topRelicensingPoints.map((r) =>
    h("tr", {},
      h("td", {}, modelButton(r.parent.id, select), h("span", { class: "arrow", "aria-label": "to" }, " → "), modelButton(r.child.id, select)),
      h("td", {}, r.fromLicense ?? "unknown", " → ", r.toLicense ?? "unknown"),
      h("td", {}, r.droppedTerms.length ? r.droppedTerms.join(", ") : "—"),
      num(r.downstreamCount)));
  return table("Top relicensing points (edges where a term is dropped)",
    ["Edge (parent → child)", "Licence change", "Dropped terms", "Downstream models"], rows,
    "No edge drops a term in this scope.", "relicensing");
}

export function conflictsTable(p: Propagation): HTMLElement {
  const rows = [...p.conflictsByRule]
    .sort((a, b) => b.count - a.count)
    .map((c) =>
      h("tr", { class: `sev-${c.severity.toLowerCase()}` },
        h("th", { scope: "row" }, c.ruleId),
        h("td", {}, severityText(c.severity)),
        num(c.count)));
  return table("Conflicts by rule", ["Rule", "Severity", "Models"], rows, "No conflicts in this scope.", "conflicts");
}

export function deploymentsTable(p: Propagation, select: SelectModel): HTMLElement {
  const rows = p.deploymentsReached.map((d) =>
    h("tr", {},
      h("th", { scope: "row" }, d.url ? h("a", { href: d.url, target: "_blank", rel: "noopener noreferrer" }, d.id) : d.id),
      h("td", {}, words(d.kind)),
      h("td", {}, modelButton(d.modelId, select)),
      h("td", {}, d.operator ?? "unknown"),
      h("td", {}, d.status ?? "unknown")));
  return table(`Deployments reached (${count(p.deploymentsReached.length)})`,
    ["Deployment", "Kind", "Serves", "Operator", "Status"], rows, "No known deployment serves a model in this scope.", "deployments");
}
