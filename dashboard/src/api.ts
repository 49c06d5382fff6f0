/**
 * The dashboard's only data source: the public GraphQL API at `graphql` (relative to the page),
 * queried with POST JSON. Every query the page sends is a named constant here, so the API can
 * be checked against them.
 */

export type ConflictState = "NONE" | "INFO" | "WARNING" | "VIOLATION";
export type Severity = "VIOLATION" | "WARNING" | "INFO";
export type ModelStatus = "AVAILABLE" | "GATED" | "DELETED" | "UNAVAILABLE" | "UNKNOWN";
export type Relation = "FINETUNE" | "ADAPTER" | "MERGE" | "QUANTIZED" | "UNKNOWN";
export type CommercialStatusKind =
  | "ALLOWED"
  | "CONDITIONAL"
  | "NON_COMMERCIAL"
  | "RESEARCH_ONLY"
  | "NO_DISTRIBUTION"
  | "UNKNOWN";

export interface ModelSummary {
  id: string;
  author: string | null;
  status: ModelStatus;
  declaredLicenseId: string | null;
  conflictState: ConflictState;
}

export interface FamilyRoot {
  descendantCount: number;
  model: ModelSummary;
}

export interface License {
  id: string;
  family: string | null;
  commercial: CommercialStatusKind;
}

export interface Term {
  id: string;
  kind: string;
  description: string | null;
}

export interface RootPage {
  totalCount: number;
  edges: FamilyRoot[];
}

export interface PickersData {
  roots: RootPage;
  licenses: License[];
  terms: Term[];
}

export interface Deployment {
  id: string;
  kind: string;
  modelId: string;
  operator: string | null;
  status: string | null;
  url: string | null;
}

export interface FamilyNode {
  id: string;
  depth: number;
  licenseId: string | null;
  conflictState: ConflictState;
  status: ModelStatus;
}

export interface FamilyEdge {
  child: string;
  parent: string;
  relation: Relation;
}

export interface Propagation {
  scope: string;
  totalModels: number;
  byDepth: { depth: number; count: number }[];
  byRelation: { relation: Relation; count: number }[];
  termFlow: { termId: string; kind: string; keep: number; drop: number; violate: number }[];
  topRelicensingPoints: {
    parent: { id: string };
    child: { id: string };
    droppedTerms: string[];
    fromLicense: string | null;
    toLicense: string | null;
    downstreamCount: number;
  }[];
  /** Per (rule, severity): how many conflicts, and how many models have at least one. */
  conflictsByRule: { ruleId: string; severity: Severity; conflicts: number; models: number }[];
  /** Nearest first, at most 1,000 of `deploymentsReachedCount`. */
  deploymentsReached: Deployment[];
  deploymentsReachedCount: number;
  graph: { truncated: boolean; nodes: FamilyNode[]; edges: FamilyEdge[] };
  /** With asOf: how many of the scope's models (then or now) Lineage knows at that instant; null without asOf. */
  asOfCoverage: AsOfCoverage | null;
}

export interface AsOfCoverage {
  asOf: string;
  known: number;
  notYetKnown: number;
  earliestKnownSince: string | null;
  latestKnownSince: string | null;
}

export interface Conflict {
  ruleId: string;
  severity: Severity;
  message: string;
  path: string[];
  licenses: string[];
}

export interface ModelDetails extends ModelSummary {
  /** What the facts rest on: LISTED (the hub's listing only), CRAWLED (the model itself read); null: named only. */
  knownFrom: "LISTED" | "CRAWLED" | null;
  listedAt: string | null;
  crawledAt: string | null;
  /** The earliest instant Lineage knows anything of the model from (null: nothing dated). */
  knownSince: string | null;
  commercialStatus: {
    status: CommercialStatusKind;
    threshold: string | null;
    licenseId: string | null;
    reason: string | null;
  };
  conflicts: Conflict[];
}

/** One conflict of one model of a scope (Propagation.conflicts). */
export interface ScopeConflict {
  modelId: string;
  ruleId: string;
  severity: Severity;
  message: string;
}

export interface ScopeConflicts {
  totalCount: number;
  models: number;
  edges: ScopeConflict[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export interface SearchResult {
  totalCount: number;
  edges: ModelSummary[];
}

export type ChangeKind =
  | "MODEL_ADDED"
  | "MODEL_DELETED"
  | "MODEL_GATED"
  | "MODEL_UNGATED"
  | "LICENSE_CHANGED"
  | "DERIVATION_ADDED"
  | "DERIVATION_CLOSED"
  | "DEPLOYMENT_ADDED"
  | "EFFECTIVE_TERMS_CHANGED"
  | "CONFLICT_OPENED"
  | "CONFLICT_RESOLVED";

/** One change record (Query.changes). `details` depends on the kind; see Change.details in the schema. */
export interface Change {
  id: string;
  kind: ChangeKind;
  modelId: string;
  recordedAt: string;
  details: Record<string, unknown>;
}

export interface ChangePage {
  edges: { cursor: string; node: Change }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export const PICKERS_QUERY = `query DashboardPickers($first: Int!) {
  roots(first: $first) { totalCount edges { descendantCount model { id author status declaredLicenseId conflictState } } }
  licenses { id family commercial }
  terms { id kind description }
}`;

export const PROPAGATION_QUERY = `query DashboardPropagation($root: ID, $license: String, $term: String, $asOf: DateTime, $limit: Int) {
  propagation(root: $root, license: $license, term: $term, asOf: $asOf) {
    scope
    totalModels
    byDepth { depth count }
    byRelation { relation count }
    termFlow { termId kind keep drop violate }
    topRelicensingPoints { parent { id } child { id } droppedTerms fromLicense toLicense downstreamCount }
    conflictsByRule { ruleId severity conflicts models }
    deploymentsReached { id kind modelId operator status url }
    deploymentsReachedCount
    graph(limit: $limit) { truncated nodes { id depth licenseId conflictState status } edges { child parent relation } }
    asOfCoverage { asOf known notYetKnown earliestKnownSince latestKnownSince }
  }
}`;

export const MODEL_QUERY = `query DashboardModel($id: ID!, $asOf: DateTime) {
  model(id: $id, asOf: $asOf) {
    id author status declaredLicenseId conflictState knownFrom listedAt crawledAt knownSince
    commercialStatus { status threshold licenseId reason }
    conflicts { ruleId severity message path licenses }
  }
}`;

export const RULE_CONFLICTS_QUERY = `query DashboardRuleConflicts($root: ID, $license: String, $term: String, $asOf: DateTime, $rule: String, $severity: Severity, $first: Int!, $after: String) {
  propagation(root: $root, license: $license, term: $term, asOf: $asOf) {
    conflicts(rule: $rule, severity: $severity, first: $first, after: $after) {
      totalCount models
      edges { modelId ruleId severity message }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

export const SEARCH_QUERY = `query DashboardSearch($search: String!, $first: Int!) {
  models(search: $search, first: $first) {
    totalCount
    edges { id author status declaredLicenseId conflictState }
  }
}`;

/** The "What changed" feed: a scope's change records since an instant, newest first. The scope's
 * fields are variables so that the ones not sent (or sent as null) leave exactly one named. */
export const CHANGES_QUERY = `query DashboardChanges($root: String, $license: String, $term: String, $since: DateTime, $first: Int!, $after: String) {
  changes(scope: { root: $root, license: $license, term: $term }, since: $since, first: $first, after: $after, newestFirst: true) {
    edges { cursor node { id kind modelId recordedAt details } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** An error to show to the person as it is: the API's own message, or what went wrong on the way;
 * `extensions` are the first GraphQL error's (its `code`, and e.g. `knownSince` for NOT_KNOWN_AT_INSTANT). */
export class ApiError extends Error {
  constructor(message: string, readonly extensions: Record<string, unknown> = {}) {
    super(message);
    this.name = "ApiError";
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** POSTs one query to the API and returns its `data`, or throws an ApiError with the API's messages. */
export async function gql<T>(
  query: string,
  variables: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch("graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ query, variables }),
      signal,
    });
  } catch (exc) {
    if (exc instanceof DOMException && exc.name === "AbortError") throw exc;
    throw new ApiError(`The API could not be reached: ${String((exc as Error).message ?? exc)}`);
  }
  let body: GraphQLResponse<T> | null = null;
  const text = await response.text();
  try {
    body = JSON.parse(text) as GraphQLResponse<T>;
  } catch {
    body = null;
  }
  if (body?.errors && body.errors.length > 0) {
    throw new ApiError(body.errors.map((e) => e.message).join("; "), body.errors[0].extensions ?? {});
  }
  if (!response.ok) {
    throw new ApiError(`The API answered ${response.status} ${response.statusText}: ${text.slice(0, 300)}`);
  }
  if (!body || body.data === undefined || body.data === null) {
    throw new ApiError("The API answered without data.");
  }
  return body.data;
}

/** The instant a date input stands for: the end of that day in UTC, or now if that is still
 * to come (the API refuses instants in the future), as an ISO-8601 DateTime. */
export function asOfInstant(date: string, now: Date = new Date()): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
    return null;
  }
  const endOfDay = `${date}T23:59:59+00:00`;
  if (Date.parse(endOfDay) <= now.getTime()) {
    return endOfDay;
  }
  return `${now.toISOString().slice(0, 19)}+00:00`;
}

/** The relative URL of a model's dossier (ids keep their `/`; each segment is escaped). */
export function dossierUrl(modelId: string, asOfDate: string): string {
  const path = modelId.split("/").map(encodeURIComponent).join("/");
  const params = new URLSearchParams({ format: "html" });
  const instant = asOfInstant(asOfDate);
  if (instant) params.set("asOf", instant);
  return `investigations/${path}?${params.toString()}`;
}

/** The scope a view names, as the API's arguments (exactly one of root, license, term). */
export interface ScopeArgs {
  root: string | null;
  license: string | null;
  term: string | null;
}

/** The relative URL of a scope's conflicts as CSV (GET api/scopes/conflicts.csv), of one rule and severity when named. */
export function conflictsCsvUrl(scope: ScopeArgs, asOfDate: string, rule = "", severity = ""): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(scope)) if (value) params.set(key, value);
  if (rule) params.set("rule", rule);
  if (severity) params.set("severity", severity.toLowerCase());
  const instant = asOfInstant(asOfDate);
  if (instant) params.set("asOf", instant);
  return `api/scopes/conflicts.csv?${params.toString()}`;
}
