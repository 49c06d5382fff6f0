/**
 * The dashboard page: pick a family root, a licence or a term (and optionally a date), and see
 * how far its restrictions reach. The view lives in the URL fragment, so every view has a link.
 */

import {
  ApiError,
  asOfInstant,
  CHANGES_QUERY,
  conflictsCsvUrl,
  dossierUrl,
  gql,
  MODEL_QUERY,
  PICKERS_QUERY,
  PROPAGATION_QUERY,
  RULE_CONFLICTS_QUERY,
  SEARCH_QUERY,
  type Change,
  type ChangePage,
  type ModelDetails,
  type PickersData,
  type Propagation,
  type ScopeArgs,
  type ScopeConflicts,
  type SearchResult,
  type Severity,
} from "./api";
import { FEED_PAGE, feedBody, feedSince } from "./changes";
import { barChart } from "./charts";
import { byId, count, counted, h, replace, shownOf, words } from "./dom";
import { CONFLICT_STYLE, LineageGraph, legend } from "./graph";
import { errorPanel, loadingPanel, missingPanel, modelPanel, notKnownPanel } from "./panel";
import { conflictsTable, deploymentsTable, relicensingTable, ruleModelsBlock, termFlowTable } from "./tables";

type ScopeKind = "root" | "license" | "term";

interface View {
  kind: ScopeKind | null;
  id: string;
  asOf: string;
  model: string;
  /** The rule (and severity) whose models are listed under "Conflicts by rule"; "" for none. */
  rule: string;
  severity: string;
}

const GRAPH_LIMIT = 300;
const ROOTS_SHOWN = 200;
const SEARCH_SHOWN = 20;
const RULE_PAGE = 50;

const el = {
  root: byId<HTMLSelectElement>("root-select"),
  license: byId<HTMLSelectElement>("license-select"),
  term: byId<HTMLSelectElement>("term-select"),
  asOf: byId<HTMLInputElement>("asof"),
  scopeForm: byId<HTMLFormElement>("scope-form"),
  clearAsOf: byId<HTMLButtonElement>("asof-clear"),
  searchForm: byId<HTMLFormElement>("search-form"),
  search: byId<HTMLInputElement>("search"),
  searchResults: byId<HTMLElement>("search-results"),
  status: byId<HTMLElement>("status"),
  error: byId<HTMLElement>("error"),
  results: byId<HTMLElement>("results"),
  summary: byId<HTMLElement>("summary"),
  graphNote: byId<HTMLElement>("graph-note"),
  graph: byId<HTMLElement>("graph"),
  legend: byId<HTMLElement>("legend"),
  nodeList: byId<HTMLElement>("node-list"),
  charts: byId<HTMLElement>("charts"),
  tables: byId<HTMLElement>("tables"),
  panel: byId<HTMLElement>("panel-body"),
  changesBlock: byId<HTMLElement>("changes-block"),
  changes: byId<HTMLElement>("changes"),
  zoomIn: byId<HTMLButtonElement>("zoom-in"),
  zoomOut: byId<HTMLButtonElement>("zoom-out"),
  zoomFit: byId<HTMLButtonElement>("zoom-fit"),
};

const graph = new LineageGraph(el.graph, {
  onSelect: (id) => setView({ ...currentView(), model: id }),
  onOpen: (id) => window.open(dossierUrl(id, el.asOf.value), "_blank", "noopener"),
});
(window as unknown as { lineageDashboard: unknown }).lineageDashboard = { graph };

let propagationRequest: AbortController | null = null;
let modelRequest: AbortController | null = null;
let ruleRequest: AbortController | null = null;
let changesRequest: AbortController | null = null;
let shown: View = { kind: null, id: "", asOf: "", model: "", rule: "", severity: "" };
let scopeReady: Promise<void> = Promise.resolve();

// ----- the view in the URL fragment -----------------------------------------------------------

function parseView(): View {
  const params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  const rest = {
    asOf: params.get("asOf") ?? "",
    model: params.get("model") ?? "",
    rule: params.get("rule") ?? "",
    severity: params.get("severity") ?? "",
  };
  for (const kind of ["root", "license", "term"] as ScopeKind[]) {
    const id = params.get(kind);
    if (id) return { kind, id, ...rest };
  }
  return { kind: null, id: "", ...rest };
}

function currentView(): View {
  return parseView();
}

function setView(view: View): void {
  const params = new URLSearchParams();
  if (view.kind && view.id) params.set(view.kind, view.id);
  if (view.asOf) params.set("asOf", view.asOf);
  if (view.model) params.set("model", view.model);
  if (view.rule) params.set("rule", view.rule);
  if (view.rule && view.severity) params.set("severity", view.severity);
  const hash = `#${params.toString()}`;
  if (window.location.hash === hash) void show(view);
  else window.location.hash = hash; // → hashchange → show
}

// ----- status and errors ----------------------------------------------------------------------

function setStatus(text: string, busy = false): void {
  el.status.textContent = text;
  el.status.classList.toggle("loading", busy);
  el.results.setAttribute("aria-busy", busy ? "true" : "false");
}

function showError(message: string | null): void {
  el.error.hidden = message === null;
  el.error.textContent = message === null ? "" : `Error from the API: ${message}`;
}

function messageOf(exc: unknown): string {
  return exc instanceof ApiError ? exc.message : `Unexpected error: ${String(exc)}`;
}

const isAbort = (exc: unknown): boolean => exc instanceof DOMException && exc.name === "AbortError";

// ----- pickers --------------------------------------------------------------------------------

function option(value: string, text: string): HTMLOptionElement {
  return h("option", { value }, text);
}

function fillPickers(data: PickersData): void {
  const roots = data.roots.edges;
  const shown = roots.length < data.roots.totalCount
    ? `— choose a family root (the first ${count(roots.length)} of ${count(data.roots.totalCount)} parentless models, largest families first) —`
    : "— choose a family root —";
  el.root.replaceChildren(
    option("", roots.length === 0 ? "— no families yet —" : shown),
    ...roots.map((r) => option(r.model.id, `${r.model.id} (${count(r.descendantCount)} descendants)`)),
  );
  el.license.replaceChildren(
    option("", "— choose a licence —"),
    ...[...data.licenses].sort((a, b) => a.id.localeCompare(b.id)).map((l) => option(l.id, `${l.id} — ${words(l.commercial)}`)),
  );
  el.term.replaceChildren(
    option("", "— choose a term —"),
    ...[...data.terms].sort((a, b) => a.id.localeCompare(b.id)).map((t) =>
      option(t.id, `${t.id} (${words(t.kind)})${t.description ? ` — ${t.description.slice(0, 60)}` : ""}`)),
  );
}

function syncPickers(view: View): void {
  const selects: Record<ScopeKind, HTMLSelectElement> = { root: el.root, license: el.license, term: el.term };
  for (const [kind, select] of Object.entries(selects) as [ScopeKind, HTMLSelectElement][]) {
    const value = view.kind === kind ? view.id : "";
    if (value && ![...select.options].some((o) => o.value === value)) select.append(option(value, value));
    select.value = value;
  }
  el.asOf.value = view.asOf;
}

function pickScope(kind: ScopeKind, select: HTMLSelectElement): void {
  if (!select.value) return;
  setView({ kind, id: select.value, asOf: el.asOf.value, model: "", rule: "", severity: "" });
}

// ----- propagation ----------------------------------------------------------------------------

function scopeArgs(view: View): ScopeArgs {
  return {
    root: view.kind === "root" ? view.id : null,
    license: view.kind === "license" ? view.id : null,
    term: view.kind === "term" ? view.id : null,
  };
}

function scopeWords(view: View): string {
  const kind = view.kind === "root" ? "family of" : view.kind === "license" ? "licence" : "term";
  return `${kind} ${view.id}${view.asOf ? ` as of ${view.asOf}` : ""}`;
}

async function loadPropagation(view: View): Promise<void> {
  propagationRequest?.abort();
  const request = new AbortController();
  propagationRequest = request;
  showError(null);
  setStatus(`Loading the ${scopeWords(view)}…`, true);
  const variables: Record<string, unknown> = { ...scopeArgs(view), asOf: asOfInstant(view.asOf), limit: GRAPH_LIMIT };
  try {
    const data = await gql<{ propagation: Propagation | null }>(PROPAGATION_QUERY, variables, request.signal);
    if (request.signal.aborted) return;
    renderPropagation(view, data.propagation);
  } catch (exc) {
    if (isAbort(exc) || request.signal.aborted) return;
    clearResults();
    setStatus("");
    showError(messageOf(exc));
  }
}

function clearResults(): void {
  el.results.hidden = true;
  graph.render([], []);
}

/** With a date: how many of the scope's models Lineage does not know then, so an answer about few
 * models (or no conflicts) at an early date is not read as the whole truth. Empty when all are known. */
function coverageNote(p: Propagation): string {
  const c = p.asOfCoverage;
  if (!c || c.notYetKnown === 0) return "";
  const day = (iso: string | null): string => (iso ? iso.slice(0, 10) : "?");
  const total = c.known + c.notYetKnown;
  return `Lineage knows ${count(c.known)} of this scope's ${count(total)} models at ${day(c.asOf)}; ` +
    `${count(c.notYetKnown)} ${c.notYetKnown === 1 ? "is" : "are"} not known before a later date ` +
    `(all are known from ${day(c.latestKnownSince)}), so this answer says nothing about ${c.notYetKnown === 1 ? "it" : "them"}.`;
}

/** Where a ring drawing is centred: the root, or the models that are the scope's sources. */
function ringCentre(view: View): string {
  if (view.kind === "root") return "around the root";
  if (view.kind === "license") return `around the models that declare ${view.id} (depth 0)`;
  return `around the models whose licence imposes ${view.id} (depth 0)`;
}

function summaryLine(view: View, p: Propagation): HTMLElement[] {
  const conflicts = p.conflictsByRule.reduce((n, r) => n + r.conflicts, 0);
  const parts: HTMLElement[] = [
    counted("span", "totalModels", p.totalModels, `${count(p.totalModels)} models`, { id: "total-models" }),
    counted("span", "deploymentsReachedCount", p.deploymentsReachedCount,
      `${count(p.deploymentsReachedCount)} deployments reached` +
      (p.deploymentsReached.length < p.deploymentsReachedCount ? ` (first ${count(p.deploymentsReached.length)} listed)` : "")),
    counted("span", "conflicts", conflicts, `${count(conflicts)} conflicts (all rules)`),
  ];
  if (view.kind === "term") {
    const flow = p.termFlow.filter((t) => t.termId === view.id);
    const violate = flow.reduce((n, t) => n + t.violate, 0);
    parts.push(counted("span", `termFlow:${view.id}:violate`, violate,
      `${count(violate)} descendants violate ${view.id}`, { id: "term-violate" }));
  }
  return parts;
}

function renderPropagation(view: View, p: Propagation | null): void {
  if (p === null || p.totalModels === 0) {
    clearResults();
    const note = p === null ? "" : coverageNote(p);
    setStatus(p === null ? `Nothing is known for the ${scopeWords(view)}.` : `No models in the ${scopeWords(view)}.${note ? ` ${note}` : ""}`);
    return;
  }
  setStatus(`Showing the ${scopeWords(view)}.`);
  el.results.hidden = false;
  const line: (Node | string)[] = [h("strong", {}, p.scope)];
  for (const part of summaryLine(view, p)) line.push(" · ", part);
  replace(
    el.summary,
    ...line,
    view.asOf ? ` · as of ${view.asOf}` : "",
    coverageNote(p) ? h("span", { id: "as-of-coverage", class: "as-of-coverage", role: "note" }, coverageNote(p)) : null,
  );
  const drawn = p.graph.nodes.length;
  const violations = p.graph.nodes.filter((n) => n.conflictState === "VIOLATION").length;
  const warnings = p.graph.nodes.filter((n) => n.conflictState === "WARNING").length;
  replace(el.graphNote,
    p.graph.truncated
      ? counted("span", "drawn", drawn, `Drawing the first ${count(drawn)} of ${count(p.totalModels)} models (nearest depths first)`)
      : counted("span", "drawn", drawn, `Drawing all ${count(drawn)} models`),
    ". Of those drawn, ",
    counted("span", "drawn:violation", violations, `${count(violations)} have a violation (✖, of any rule)`),
    " and ",
    counted("span", "drawn:warning", warnings, `${count(warnings)} a warning (⚠) as their worst conflict`),
    view.kind === "term" ? `; the term flow table counts only the descendants that violate ${view.id} itself.` : ".",
  );
  graph.render(p.graph.nodes, p.graph.edges);
  if (graph.layout === "rings") {
    el.graphNote.append(` Wide scope: drawn in rings by depth ${ringCentre(view)}.`);
  }
  el.graphNote.append(" Names are shown where they fit; zoom in for more, hover or tap a model for its full id.");
  renderNodeList(p);
  replace(
    el.charts,
    barChart("Models by depth (depth 0: the scope's sources)",
      [...p.byDepth].sort((a, b) => a.depth - b.depth).map((d) => ({ label: `depth ${d.depth}`, value: d.count, key: `depth:${d.depth}` })),
      "No models."),
    barChart("Descendants by relation (to the nearest parent in the scope)",
      [...p.byRelation].sort((a, b) => b.count - a.count).map((r) => ({ label: words(r.relation), value: r.count, key: `relation:${r.relation}` })),
      "No derivations."),
  );
  const select = (id: string): void => setView({ ...currentView(), model: id });
  const onRule = (rule: string, severity: Severity): void => setView({ ...currentView(), rule, severity });
  replace(el.tables, termFlowTable(p), relicensingTable(p, select),
    conflictsTable(p, onRule, conflictsCsvUrl(scopeArgs(view), view.asOf)), deploymentsTable(p, select));
}

function renderNodeList(p: Propagation): void {
  const items = [...p.graph.nodes]
    .sort((a, b) => a.depth - b.depth || a.id.localeCompare(b.id))
    .map((n) => {
      const button = h("button", { type: "button", class: "link-button", "data-model": n.id },
        `${CONFLICT_STYLE[n.conflictState].marker}${n.id}`);
      button.addEventListener("click", () => setView({ ...currentView(), model: n.id }));
      return h("li", {}, button, ` — depth ${n.depth}, ${n.licenseId ?? "unknown licence"}, ${CONFLICT_STYLE[n.conflictState].text}, ${words(n.status)}`);
    });
  replace(el.nodeList, h("summary", {}, `Models drawn, as a list (${shownOf(items.length, p.totalModels)})`), h("ul", {}, ...items));
}

// ----- the models of a rule ---------------------------------------------------------------------

async function loadRuleModels(view: View, after: string | null = null, before: ScopeConflicts | null = null): Promise<void> {
  ruleRequest?.abort();
  await scopeReady;
  const box = document.getElementById("rule-models");
  if (!box) return;
  if (!view.rule) {
    replace(box);
    return;
  }
  const request = new AbortController();
  ruleRequest = request;
  const severity = (["VIOLATION", "WARNING", "INFO"].includes(view.severity) ? view.severity : null) as Severity | null;
  if (!before) replace(box, h("p", { class: "loading" }, `Loading the models with ${view.rule}…`));
  try {
    const data = await gql<{ propagation: { conflicts: ScopeConflicts } | null }>(RULE_CONFLICTS_QUERY, {
      ...scopeArgs(view), asOf: asOfInstant(view.asOf), rule: view.rule, severity, first: RULE_PAGE, after,
    }, request.signal);
    if (request.signal.aborted) return;
    const page = data.propagation?.conflicts ?? { totalCount: 0, models: 0, edges: [], pageInfo: { hasNextPage: false, endCursor: null } };
    const found: ScopeConflicts = before ? { ...page, edges: [...before.edges, ...page.edges] } : page;
    const select = (id: string): void => setView({ ...currentView(), model: id });
    const more = page.pageInfo.hasNextPage ? () => void loadRuleModels(view, page.pageInfo.endCursor, found) : null;
    replace(box, ...ruleModelsBlock(view.rule, severity ?? "VIOLATION", found, select,
      conflictsCsvUrl(scopeArgs(view), view.asOf, view.rule, severity ?? ""), more,
      () => setView({ ...currentView(), rule: "", severity: "" })));
    if (!severity) box.querySelector("h3")!.textContent = `${view.rule}: its models in this scope`;
    box.scrollIntoView({ block: "nearest" });
  } catch (exc) {
    if (isAbort(exc) || request.signal.aborted) return;
    replace(box, h("p", { class: "error", role: "alert" }, `Error from the API: ${messageOf(exc)}`));
  }
}

// ----- what changed ----------------------------------------------------------------------------

/** The scope's newest changes since `since` (fixed for the pages that follow), `after` the ones already shown. */
async function loadChanges(view: View, since: string = feedSince(), after: string | null = null, before: Change[] = []): Promise<void> {
  changesRequest?.abort();
  if (!view.kind || !view.id) {
    el.changesBlock.hidden = true;
    replace(el.changes);
    return;
  }
  const request = new AbortController();
  changesRequest = request;
  el.changesBlock.hidden = false;
  el.changesBlock.setAttribute("aria-busy", "true");
  if (!after) replace(el.changes, h("p", { class: "loading" }, "Loading the changes…"));
  const select = (id: string): void => setView({ ...currentView(), model: id });
  const feed = { scope: `${view.kind === "license" ? "licence" : view.kind} ${view.id}`, since, asOf: view.asOf };
  try {
    const data = await gql<{ changes: ChangePage }>(CHANGES_QUERY, {
      ...scopeArgs(view), since, first: FEED_PAGE, after,
    }, request.signal);
    if (request.signal.aborted) return;
    const page = data.changes;
    const changes = [...before, ...page.edges.map((e) => e.node)];
    const onMore = page.pageInfo.hasNextPage ? () => void loadChanges(view, since, page.pageInfo.endCursor, changes) : null;
    replace(el.changes, ...feedBody({ ...feed, changes, onMore, error: null }, select));
  } catch (exc) {
    if (isAbort(exc) || request.signal.aborted) return;
    const retry = after ? () => void loadChanges(view, since, after, before) : null;
    replace(el.changes, ...feedBody({ ...feed, changes: before, onMore: retry, error: messageOf(exc) }, select));
  } finally {
    if (changesRequest === request) el.changesBlock.setAttribute("aria-busy", "false");
  }
}

// ----- side panel -----------------------------------------------------------------------------

async function loadModel(id: string, asOf: string): Promise<void> {
  modelRequest?.abort();
  if (!id) {
    replace(el.panel, h("p", { class: "hint" }, "Click a model in the graph, a table or the search results to see its licence, commercial status and conflicts."));
    return;
  }
  graph.select(id);
  const request = new AbortController();
  modelRequest = request;
  replace(el.panel, ...loadingPanel(id));
  try {
    const data = await gql<{ model: ModelDetails | null }>(MODEL_QUERY, { id, asOf: asOfInstant(asOf) }, request.signal);
    if (request.signal.aborted) return;
    const onShowFamily = (root: string): void =>
      setView({ kind: "root", id: root, asOf: el.asOf.value, model: root, rule: "", severity: "" });
    replace(el.panel, ...(data.model ? modelPanel(data.model, asOf, onShowFamily) : missingPanel(id)));
    // one column: the panel sits below the graph; bring it into view when a model is chosen
    if (window.matchMedia("(max-width: 900px)").matches) el.panel.scrollIntoView({ block: "nearest" });
  } catch (exc) {
    if (isAbort(exc) || request.signal.aborted) return;
    const since = exc instanceof ApiError && exc.extensions.code === "NOT_KNOWN_AT_INSTANT" ? exc.extensions.knownSince : null;
    replace(el.panel, ...(typeof since === "string" ? notKnownPanel(id, since, asOf) : errorPanel(id, messageOf(exc))));
  }
}

// ----- search ---------------------------------------------------------------------------------

async function runSearch(text: string): Promise<void> {
  const query = text.trim();
  if (!query) {
    replace(el.searchResults);
    return;
  }
  replace(el.searchResults, h("p", { class: "loading" }, `Searching for “${query}”…`));
  try {
    const data = await gql<{ models: SearchResult }>(SEARCH_QUERY, { search: query, first: SEARCH_SHOWN });
    const { edges, totalCount } = data.models;
    if (edges.length === 0) {
      replace(el.searchResults, h("p", { class: "empty" }, `No model matches “${query}”.`));
      return;
    }
    const items = edges.map((m) => {
      const button = h("button", { type: "button", class: "link-button", "data-model": m.id },
        `${CONFLICT_STYLE[m.conflictState].marker}${m.id}`);
      button.addEventListener("click", () => setView({ ...currentView(), model: m.id }));
      return h("li", {}, button, ` — ${m.declaredLicenseId ?? "unknown licence"}`);
    });
    replace(el.searchResults,
      h("p", { class: "search-count" },
        counted("span", "searchMatches", totalCount, `${count(totalCount)} models match “${query}”`),
        totalCount > edges.length ? `; the first ${count(edges.length)} of ${count(totalCount)} are shown.` : "."),
      h("ul", { "aria-label": "Search results" }, ...items));
  } catch (exc) {
    replace(el.searchResults, h("p", { class: "error", role: "alert" }, `Error from the API: ${messageOf(exc)}`));
  }
}

// ----- wiring ---------------------------------------------------------------------------------

async function show(view: View): Promise<void> {
  syncPickers(view);
  const scopeChanged = view.kind !== shown.kind || view.id !== shown.id || view.asOf !== shown.asOf;
  const modelChanged = view.model !== shown.model || view.asOf !== shown.asOf;
  const ruleChanged = view.rule !== shown.rule || view.severity !== shown.severity;
  shown = { ...view };
  if (scopeChanged) {
    void loadChanges(view);
    if (view.kind && view.id) {
      scopeReady = loadPropagation(view);
      if (view.rule) void loadRuleModels(view);
    } else {
      clearResults();
      setStatus("Choose a family root, a licence or a term to see how its restrictions spread.");
    }
  }
  if (modelChanged || scopeChanged) void loadModel(view.model, view.asOf);
  if (ruleChanged && !scopeChanged && view.kind) void loadRuleModels(view);
}

async function start(): Promise<void> {
  replace(el.legend, legend());
  el.root.addEventListener("change", () => pickScope("root", el.root));
  el.license.addEventListener("change", () => pickScope("license", el.license));
  el.term.addEventListener("change", () => pickScope("term", el.term));
  el.asOf.addEventListener("change", () => setView({ ...currentView(), asOf: el.asOf.value }));
  el.clearAsOf.addEventListener("click", () => setView({ ...currentView(), asOf: "" }));
  el.scopeForm.addEventListener("submit", (evt) => {
    evt.preventDefault();
    const view = currentView();
    setView({ ...view, asOf: el.asOf.value });
  });
  el.searchForm.addEventListener("submit", (evt) => {
    evt.preventDefault();
    void runSearch(el.search.value);
  });
  el.zoomIn.addEventListener("click", () => graph.zoomBy(1.25));
  el.zoomOut.addEventListener("click", () => graph.zoomBy(0.8));
  el.zoomFit.addEventListener("click", () => graph.fit());
  window.addEventListener("hashchange", () => void show(parseView()));
  window.addEventListener("resize", () => graph.resize());

  setStatus("Loading families, licences and terms…", true);
  try {
    const data = await gql<PickersData>(PICKERS_QUERY, { first: ROOTS_SHOWN });
    fillPickers(data);
    setStatus("");
    const view = parseView();
    if (!view.kind && data.roots.edges.length > 0) {
      setView({ ...view, kind: "root", id: data.roots.edges[0].model.id });
      return;
    }
    if (!view.kind) {
      clearResults();
      setStatus("The graph has no model families yet: crawl some models first (lineage crawl SEED).");
      void loadModel(view.model, view.asOf);
      return;
    }
    await show(view);
  } catch (exc) {
    clearResults();
    setStatus("");
    showError(messageOf(exc));
  }
}

void start();
