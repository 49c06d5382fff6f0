/** The side panel: one model's licence, commercial status and conflicts, and the link to its dossier. */

import { dossierUrl, type ModelDetails } from "./api";
import { h, words } from "./dom";
import { severityText } from "./tables";

export function loadingPanel(id: string): HTMLElement[] {
  return [h("h3", { id: "panel-title" }, id), h("p", { class: "loading" }, "Loading the model…")];
}

export function missingPanel(id: string): HTMLElement[] {
  return [h("h3", { id: "panel-title" }, id), h("p", { class: "empty" }, "This model is not in the graph (at this date).")];
}

/** The model is in the graph, but Lineage knows nothing of it at the date asked (an answer, not a failure). */
export function notKnownPanel(id: string, knownSince: string, asOfDate: string): HTMLElement[] {
  return [
    h("h3", { id: "panel-title" }, id),
    h("p", { class: "empty", "data-field": "not-known" },
      `Not known before ${knownSince.slice(0, 10)}: Lineage knows nothing of this model as of ${asOfDate}. `,
      "Clear the date, or pick a later one, to see it."),
  ];
}

export function errorPanel(id: string, message: string): HTMLElement[] {
  return [h("h3", { id: "panel-title" }, id), h("p", { class: "error", role: "alert" }, `Error: ${message}`)];
}

export function modelPanel(m: ModelDetails, asOfDate: string, onShowFamily: (id: string) => void): HTMLElement[] {
  const cs = m.commercialStatus;
  const dossier = h("a", { class: "dossier-link button", href: dossierUrl(m.id, asOfDate), target: "_blank", rel: "noopener", id: "dossier-link" },
    "Open the dossier");
  const family = h("button", { type: "button", class: "button secondary" }, "Show its descendants");
  family.addEventListener("click", () => onShowFamily(m.id));
  const conflicts = m.conflicts.length
    ? h("ul", { class: "conflict-list" }, ...m.conflicts.map((c) =>
        h("li", { class: `sev-${c.severity.toLowerCase()}` },
          h("strong", {}, severityText(c.severity)), " ", h("code", {}, c.ruleId), h("br"), c.message,
          c.path.length ? h("div", { class: "path" }, "Path: ", c.path.join(" → ")) : null)))
    : h("p", { class: "empty" }, "No conflicts.");
  return [
    h("h3", { id: "panel-title" }, m.id),
    h("dl", { class: "facts" },
      h("dt", {}, "Author"), h("dd", {}, m.author ?? "unknown"),
      h("dt", {}, "Status"), h("dd", {}, words(m.status)),
      h("dt", {}, "Known from"), h("dd", { "data-field": "known-from" }, knownFromText(m)),
      h("dt", {}, "Known since"), h("dd", { "data-field": "known-since" }, m.knownSince ? m.knownSince.slice(0, 10) : "unknown"),
      h("dt", {}, "Declared licence"), h("dd", { "data-field": "license" }, m.declaredLicenseId ?? "unknown"),
      h("dt", {}, "Commercial use"),
      h("dd", { "data-field": "commercial" }, words(cs.status),
        cs.threshold ? ` (threshold: ${cs.threshold})` : "",
        cs.licenseId ? ` under ${cs.licenseId}` : "",
        cs.reason ? h("div", { class: "reason" }, cs.reason) : null),
      h("dt", {}, "Worst conflict"), h("dd", {}, m.conflictState === "NONE" ? "none" : severityText(m.conflictState))),
    h("h4", {}, `Conflicts (${m.conflicts.length})`),
    conflicts,
    h("p", { class: "actions" }, dossier, " ", family),
  ];
}

/** How the facts shown are known, with when: what an answer about this model rests on. */
function knownFromText(m: ModelDetails): string {
  const day = (iso: string | null) => (iso ? iso.slice(0, 10) : "?");
  if (m.knownFrom === "CRAWLED") return `crawled (the model itself read, ${day(m.crawledAt)})`;
  if (m.knownFrom === "LISTED") return `the hub's listing only (${day(m.listedAt)}): files, card text and configs not read yet`;
  return "named as a parent only";
}
