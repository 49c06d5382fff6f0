/** The "What changed" feed of a scope: one readable line per change record (Query.changes), newest
 * first, built from the record's kind and `details`; a page at a time, more on request. */

import type { Change } from "./api";
import { count, counted, h, words } from "./dom";

export type SelectModel = (id: string) => void;
type Part = HTMLElement | string;

/** How far back the feed looks, and how many changes a page holds. */
export const FEED_DAYS = 90;
export const FEED_PAGE = 20;

/** The start of the feed's window: FEED_DAYS before `now`, as the API's DateTime. */
export function feedSince(now: Date = new Date()): string {
  const since = new Date(now.getTime() - FEED_DAYS * 86_400_000);
  return `${since.toISOString().slice(0, 19)}+00:00`;
}

const RELATIVE = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 86_400], ["month", 30 * 86_400], ["week", 7 * 86_400], ["day", 86_400], ["hour", 3_600], ["minute", 60],
];

/** "3 hours ago", "yesterday", "2 weeks ago": the largest whole unit between `iso` and `now`. */
export function relativeTime(iso: string, now: Date = new Date()): string {
  const seconds = (Date.parse(iso) - now.getTime()) / 1000;
  if (Number.isNaN(seconds)) return iso;
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return RELATIVE.format(Math.trunc(seconds / size), unit);
  }
  return "just now";
}

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function texts(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** At most `shown` items, then how many more. */
function capped(items: string[], shown = 4): string {
  const rest = items.length - shown;
  return rest > 0 ? `${items.slice(0, shown).join(", ")} and ${count(rest)} more` : items.join(", ");
}

function modelButton(id: string, select: SelectModel): HTMLButtonElement {
  const button = h("button", { type: "button", class: "link-button", "data-model": id, title: `Details of ${id}` }, id);
  button.addEventListener("click", () => select(id));
  return button;
}

function licenceSentence(d: Record<string, unknown>): string {
  const from = text(d.validFrom);
  const when = from ? ` (from ${from.slice(0, 10)})` : "";
  const old = text(d.old);
  const now = text(d.new);
  if (!old) return `licence ${now ?? "unknown"} declared${when}`;
  if (!now) return `licence ${old} no longer declared${when}`;
  return `licence ${old} → ${now}${when}`;
}

function termsSentence(d: Record<string, unknown>): string {
  const moved = [...texts(d.termsAdded).map((t) => `+${t}`), ...texts(d.termsRemoved).map((t) => `−${t}`)];
  const clauses = [moved.length ? `effective terms changed: ${capped(moved)}` : "effective terms changed"];
  const licences = [...texts(d.licensesAdded).map((l) => `+${l}`), ...texts(d.licensesRemoved).map((l) => `−${l}`)];
  if (licences.length) clauses.push(`licences in force ${capped(licences)}`);
  const listed: [string, string][] = [
    ["droppedAdded", "drops"], ["droppedRemoved", "no longer drops"],
    ["violatedAdded", "violates"], ["violatedRemoved", "no longer violates"],
  ];
  for (const [key, verb] of listed) {
    const terms = texts(d[key]);
    if (terms.length) clauses.push(`${verb} ${capped(terms)}`);
  }
  const [before, after] = [text(d.commercialOld), text(d.commercialNew)];
  if (before !== after) clauses.push(`commercial use ${words(before)} → ${words(after)}`);
  return clauses.join("; ");
}

/** What a change says, in words (model ids it names are buttons that select them). */
export function changeSentence(c: Change, select: SelectModel): Part[] {
  const d = c.details ?? {};
  switch (c.kind) {
    case "LICENSE_CHANGED":
      return [licenceSentence(d)];
    case "DERIVATION_ADDED": {
      const relation = text(d.relation);
      return ["new derivative of ", modelButton(text(d.parent) ?? "an unknown model", select), relation ? ` (${words(relation)})` : ""];
    }
    case "DERIVATION_CLOSED":
      return ["no longer derived from ", modelButton(text(d.parent) ?? "an unknown model", select)];
    case "CONFLICT_OPENED":
      return [`conflict ${text(d.rule) ?? "?"} (${words(text(d.severity))}) opened`];
    case "CONFLICT_RESOLVED":
      return [`conflict ${text(d.rule) ?? "?"} resolved`];
    case "EFFECTIVE_TERMS_CHANGED":
      return [termsSentence(d)];
    case "MODEL_GATED":
      return [text(d.new) ? `gated (${words(text(d.new))})` : "gated"];
    case "MODEL_UNGATED":
      return ["no longer gated"];
    case "MODEL_DELETED":
      return ["deleted"];
    case "DEPLOYMENT_ADDED":
      return [`new deployment ${text(d.deployment) ?? "(unnamed)"}`];
    case "MODEL_ADDED": {
      const parts: Part[] = [text(d.knownFrom) ? `added (${words(text(d.knownFrom))})` : "added"];
      const licence = text(d.license);
      if (licence) parts.push(`, declares ${licence}`);
      const parents = Array.isArray(d.parents) ? (d.parents as Record<string, unknown>[]) : [];
      parents.slice(0, 3).forEach((p, i) => {
        const relation = text(p.relation);
        parts.push(i === 0 ? ", derived from " : ", ", modelButton(text(p.parent) ?? "an unknown model", select),
          relation ? ` (${words(relation)})` : "");
      });
      if (parents.length > 3) parts.push(` and ${parents.length - 3} more`);
      return parts;
    }
    default:
      return [words(c.kind)];
  }
}

/** The severity class of a line, so opened violations and warnings stand out (in colour and in words). */
function severityClass(c: Change): string {
  const severity = text(c.details?.severity);
  return c.kind === "CONFLICT_OPENED" && severity ? ` sev-${severity.toLowerCase()}` : "";
}

export function changeLine(c: Change, select: SelectModel, now: Date): HTMLLIElement {
  return h("li", { class: `change${severityClass(c)}`, "data-kind": c.kind, "data-change": c.id },
    h("time", { datetime: c.recordedAt, title: c.recordedAt }, relativeTime(c.recordedAt, now)),
    " ", modelButton(c.modelId, select),
    h("span", { class: "what" }, " — ", ...changeSentence(c, select)));
}

export interface Feed {
  scope: string;
  since: string;
  /** The date picked for the rest of the page ("" for now): the feed does not follow it, and says so. */
  asOf: string;
  changes: Change[];
  onMore: (() => void) | null;
  error: string | null;
}

/** The feed's body: the window and the count, the lines (or the empty state), "More" while there is more. */
export function feedBody(feed: Feed, select: SelectModel, now: Date = new Date()): HTMLElement[] {
  const day = feed.since.slice(0, 10);
  const shown = feed.changes.length;
  const note = h("p", { class: "note", id: "changes-window" },
    `Changes recorded for ${feed.scope} since ${day} (the last ${FEED_DAYS} days)`,
    shown === 0 ? ": " : ", newest first: showing ",
    counted("span", "changes:shown", shown, shown === 0 ? "0 changes" : feed.onMore ? `newest ${count(shown)}` : `all ${count(shown)}`),
    ".",
    feed.asOf ? ` The feed runs up to now, whatever the date picked above (${feed.asOf}).` : "");
  const out: HTMLElement[] = [note];
  if (shown === 0 && !feed.error) {
    out.push(h("p", { class: "empty", id: "changes-empty" }, `No changes recorded for this scope since ${day}.`));
  } else if (shown > 0) {
    out.push(h("ol", { class: "change-list", id: "changes-list", "aria-label": "Changes, newest first" },
      ...feed.changes.map((c) => changeLine(c, select, now))));
  }
  if (feed.error) out.push(h("p", { class: "error", role: "alert" }, `Error from the API: ${feed.error}`));
  if (feed.onMore) {
    const more = h("button", { type: "button", class: "secondary", id: "changes-more" }, "More");
    const onMore = feed.onMore;
    more.addEventListener("click", () => {
      more.disabled = true;
      more.textContent = "Loading…";
      onMore();
    });
    out.push(h("p", { class: "actions" }, more));
  }
  return out;
}
