/**
 * The family drawn as a zoomable lineage graph (cytoscape with a dagre top-down layout).
 * Fill colour tells the worst conflict, the border tells the status, the line style tells the
 * relation; violations and warnings also carry a text marker in their label, and the legend
 * (built from the same tables) says all of it in words.
 */

import cytoscape from "cytoscape";
import type { Core, ElementDefinition, StylesheetJson } from "cytoscape";
import dagre from "cytoscape-dagre";

import type { ConflictState, FamilyEdge, FamilyNode, ModelStatus, Relation } from "./api";
import { h, s } from "./dom";

cytoscape.use(dagre);

export const CONFLICT_STYLE: Record<ConflictState, { fill: string; marker: string; text: string }> = {
  NONE: { fill: "#dfe6ea", marker: "", text: "no conflict" },
  INFO: { fill: "#8cc8ee", marker: "", text: "info" },
  WARNING: { fill: "#f0b43c", marker: "⚠ ", text: "warning (⚠)" },
  VIOLATION: { fill: "#d9541e", marker: "✖ ", text: "violation (✖)" },
};

export const STATUS_STYLE: Record<ModelStatus, { border: "solid" | "dashed" | "dotted" | "double"; text: string }> = {
  AVAILABLE: { border: "solid", text: "available (solid border)" },
  GATED: { border: "dashed", text: "gated (dashed border)" },
  DELETED: { border: "dotted", text: "deleted (dotted border, faded)" },
  UNAVAILABLE: { border: "dotted", text: "unavailable (dotted border)" },
  UNKNOWN: { border: "double", text: "not crawled (double border)" },
};

export const RELATION_STYLE: Record<Relation, { line: "solid" | "dashed" | "dotted"; color: string; width: number }> = {
  FINETUNE: { line: "solid", color: "#4a4a4a", width: 2 },
  ADAPTER: { line: "dashed", color: "#0b6aa8", width: 2 },
  MERGE: { line: "solid", color: "#a8467f", width: 4 },
  QUANTIZED: { line: "dotted", color: "#0a7d5a", width: 3 },
  UNKNOWN: { line: "dashed", color: "#8a8a8a", width: 1 },
};

/** The label drawn: the full id, organisation included (very long ids cut; the panel and the hover tip show all). */
function labelOf(id: string): string {
  return id.length > 64 ? `${id.slice(0, 62)}…` : id;
}

/** Labels are drawn only where they are at least this many pixels high on screen (zoom in to see more). */
export const MIN_LABEL_PX = 9;
const LABEL_FONT = 12;

interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
}

/** Wide families (many models at one depth) are drawn in rings around the root: a tree would be too wide. */
export function rings(nodes: FamilyNode[]): boolean {
  const perDepth = new Map<number, number>();
  for (const n of nodes) perDepth.set(n.depth, (perDepth.get(n.depth) ?? 0) + 1);
  return nodes.length > 120 || Math.max(0, ...perDepth.values()) > 30;
}

/** Many models at one depth and few depths: drawn left to right, siblings stacked, labels beside them. */
export function sideways(nodes: FamilyNode[]): boolean {
  const perDepth = new Map<number, number>();
  for (const n of nodes) perDepth.set(n.depth, (perDepth.get(n.depth) ?? 0) + 1);
  return Math.max(0, ...perDepth.values()) >= 6 && Math.max(0, ...perDepth.values()) > perDepth.size;
}

/**
 * Positions for the ring layout: depth d on a circle around the roots, each ring wide enough for
 * its models and clear of the one inside it; models sit in the order of their parents' angles,
 * so a subtree stays together.
 */
export function ringPositions(nodes: FamilyNode[], edges: FamilyEdge[]): Record<string, { x: number; y: number }> {
  const parentOf = new Map<string, string>();
  for (const e of edges) if (!parentOf.has(e.child)) parentOf.set(e.child, e.parent);
  const byDepth = new Map<number, FamilyNode[]>();
  for (const n of nodes) byDepth.set(n.depth, [...(byDepth.get(n.depth) ?? []), n]);
  const angle = new Map<string, number>();
  const positions: Record<string, { x: number; y: number }> = {};
  let radius = 0;
  for (const depth of [...byDepth.keys()].sort((a, b) => a - b)) {
    const ring = byDepth.get(depth) ?? [];
    const parentAngle = (n: FamilyNode): number => angle.get(parentOf.get(n.id) ?? "") ?? 0;
    ring.sort((a, b) => parentAngle(a) - parentAngle(b) || a.id.localeCompare(b.id));
    const needed = ring.length === 1 && radius === 0 ? 0 : (ring.length * 36) / (2 * Math.PI);
    radius = radius === 0 && needed === 0 ? 0 : Math.max(radius + 140, needed);
    ring.forEach((n, i) => {
      const a = ring.length === 1 ? parentAngle(n) : (2 * Math.PI * i) / ring.length;
      angle.set(n.id, a);
      positions[n.id] = { x: radius * Math.cos(a - Math.PI / 2), y: radius * Math.sin(a - Math.PI / 2) };
    });
  }
  return positions;
}

function elements(nodes: FamilyNode[], edges: FamilyEdge[]): ElementDefinition[] {
  const known = new Set(nodes.map((n) => n.id));
  const out: ElementDefinition[] = nodes.map((n) => ({
    group: "nodes",
    data: {
      id: n.id,
      label: CONFLICT_STYLE[n.conflictState].marker + labelOf(n.id),
      depth: n.depth,
      fill: CONFLICT_STYLE[n.conflictState].fill,
      border: STATUS_STYLE[n.status]?.border ?? "double",
      conflict: n.conflictState,
      status: n.status,
      license: n.licenseId ?? "unknown",
    },
    classes: [n.depth === 0 ? "root" : "", n.status === "DELETED" ? "faded" : ""].filter(Boolean).join(" "),
  }));
  edges.forEach((e, i) => {
    if (!known.has(e.child) || !known.has(e.parent)) return;
    const style = RELATION_STYLE[e.relation] ?? RELATION_STYLE.UNKNOWN;
    out.push({
      group: "edges",
      data: {
        id: `e${i}`,
        source: e.parent,
        target: e.child,
        relation: e.relation,
        line: style.line,
        color: style.color,
        width: style.width,
      },
    });
  });
  return out;
}

const STYLESHEET: StylesheetJson = [
  {
    selector: "node",
    style: {
      "background-color": "data(fill)",
      "border-style": "data(border)" as never,
      "border-width": 2,
      "border-color": "#1f2933",
      label: "data(label)",
      "font-family": "DejaVu Sans, Liberation Sans, Arial, sans-serif",
      "font-size": LABEL_FONT,
      color: "#111",
      "text-valign": "bottom",
      "text-margin-y": 4,
      "text-wrap": "wrap",
      "text-overflow-wrap": "anywhere",
      "text-max-width": "150px",
      "text-background-color": "#ffffff",
      "text-background-opacity": 0.85,
      "text-background-padding": "1px",
      "min-zoomed-font-size": MIN_LABEL_PX,
      width: 26,
      height: 26,
    },
  },
  { selector: "node[border = 'double']", style: { "border-width": 4 } },
  { selector: "node.root", style: { shape: "round-rectangle", width: 40, height: 30, "border-width": 3, "font-weight": "bold" } },
  { selector: "node.faded", style: { opacity: 0.55 } },
  { selector: "node.lr", style: { "text-valign": "center", "text-halign": "right", "text-margin-x": 6, "text-margin-y": 0 } },
  { selector: "node[conflict = 'VIOLATION']", style: { color: "#8a1c00", "font-weight": "bold" } },
  // a label that would overlap one already placed is left out (hover or select the model to see its id)
  { selector: "node.nolabel", style: { label: "" } },
  { selector: "node.nolabel:selected", style: { label: "data(label)", "z-index": 10 } },
  {
    selector: "node:selected",
    style: { "overlay-color": "#1a56db", "overlay-opacity": 0.25, "overlay-padding": 6, "border-width": 4 },
  },
  {
    selector: "edge",
    style: {
      width: "data(width)",
      "line-color": "data(color)",
      "line-style": "data(line)" as never,
      "target-arrow-color": "data(color)",
      "target-arrow-shape": "triangle",
      "curve-style": "bezier",
      "arrow-scale": 0.9,
    },
  },
  { selector: "edge.dense", style: { width: 1, opacity: 0.45, "arrow-scale": 0.5 } },
];

export interface GraphHandlers {
  onSelect: (id: string) => void;
  onOpen: (id: string) => void;
}

/** The lineage graph view inside `container`; `render` replaces what it shows. */
export class LineageGraph {
  readonly cy: Core;

  constructor(container: HTMLElement, handlers: GraphHandlers) {
    this.cy = cytoscape({
      container,
      style: STYLESHEET,
      minZoom: 0.02,
      maxZoom: 4,
      boxSelectionEnabled: false,
      autoungrabify: true,
    });
    this.cy.on("tap", "node", (evt) => handlers.onSelect(evt.target.id() as string));
    this.cy.on("dbltap", "node", (evt) => handlers.onOpen(evt.target.id() as string));
    container.addEventListener("keydown", (evt) => this.onKey(evt));
    this.tip = h("div", { class: "graph-tip", role: "tooltip", hidden: true });
    container.append(this.tip);
    this.cy.on("mouseover", "node", (evt) => this.showTip(evt.target));
    this.cy.on("mouseout", "node", () => (this.tip.hidden = true));
    this.cy.on("viewport", () => (this.tip.hidden = true));
  }

  private readonly tip: HTMLElement;

  private showTip(node: cytoscape.NodeSingular): void {
    const p = node.renderedPosition();
    this.tip.textContent = `${node.id()} — ${node.data("license")}, ${CONFLICT_STYLE[node.data("conflict") as ConflictState].text}`;
    this.tip.style.left = `${Math.round(p.x + 14)}px`;
    this.tip.style.top = `${Math.round(p.y + 14)}px`;
    this.tip.hidden = false;
  }

  /** Leaves out every label that would overlap a label already placed or another model (sources and
   * shallower models first). Labels scale with the zoom, so what does not collide at one zoom does not at any. */
  private placeLabels(): void {
    const nodes = this.cy.nodes();
    nodes.removeClass("nolabel");
    const bodies = new Map<string, Box>();
    nodes.forEach((n) => {
      bodies.set(n.id(), n.boundingBox({ includeLabels: false, includeOverlays: false }));
    });
    const ordered = nodes.toArray().sort((a, b) =>
      (a.data("depth") as number) - (b.data("depth") as number) || a.id().localeCompare(b.id()));
    const placed: Box[] = [];
    for (const n of ordered) {
      const label = n.boundingBox({ includeNodes: false, includeEdges: false, includeLabels: true, includeOverlays: false });
      const clash = placed.some((b) => overlaps(b, label)) ||
        [...bodies].some(([id, b]) => id !== n.id() && overlaps(b, label));
      if (clash) n.addClass("nolabel");
      else placed.push(label);
    }
  }

  /** The labels drawn at the current zoom, as boxes on screen (for tests and tools). */
  visibleLabels(): { id: string; box: Box; fontPx: number }[] {
    const fontPx = LABEL_FONT * this.cy.zoom();
    if (fontPx < MIN_LABEL_PX) return [];
    return this.cy.nodes().not(".nolabel").map((n) => ({
      id: n.id(),
      box: n.renderedBoundingBox({ includeNodes: false, includeEdges: false, includeLabels: true, includeOverlays: false }),
      fontPx,
    }));
  }

  render(nodes: FamilyNode[], edges: FamilyEdge[]): void {
    this.cy.resize();
    this.cy.elements().remove();
    this.cy.add(elements(nodes, edges));
    this.layout = rings(nodes) ? "rings" : sideways(nodes) ? "tree-lr" : "tree";
    const options =
      this.layout === "rings"
        ? { name: "preset", positions: ringPositions(nodes, edges), animate: false, fit: true, padding: 24 }
        : this.layout === "tree-lr"
          ? { name: "dagre", rankDir: "LR", nodeSep: 22, rankSep: 200, edgeSep: 8, animate: false, fit: true, padding: 24 }
          : { name: "dagre", rankDir: "TB", nodeSep: 150, rankSep: 90, edgeSep: 10, animate: false, fit: true, padding: 24 };
    this.cy.edges().toggleClass("dense", this.layout === "rings");
    this.cy.nodes().toggleClass("lr", this.layout === "tree-lr");
    this.cy.layout(options as never).run();
    this.placeLabels();
    if (this.cy.zoom() > 1.6) {
      this.cy.zoom(1.6);
      this.cy.center();
    }
  }

  /** How the last render was laid out: a top-down tree, a left-to-right one (many siblings, few depths:
   * siblings stack so their labels fit), or rings by depth for wide families. */
  layout: "tree" | "tree-lr" | "rings" = "tree";

  select(id: string): void {
    this.cy.nodes(":selected").unselect();
    const node = this.cy.getElementById(id);
    if (node.nonempty()) node.select();
  }

  zoomBy(factor: number): void {
    const extent = this.cy.extent();
    this.cy.zoom({
      level: this.cy.zoom() * factor,
      position: { x: (extent.x1 + extent.x2) / 2, y: (extent.y1 + extent.y2) / 2 },
    });
  }

  fit(): void {
    this.cy.fit(undefined, 24);
  }

  resize(): void {
    this.cy.resize();
  }

  private onKey(evt: KeyboardEvent): void {
    const step = 60;
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [step, 0],
      ArrowRight: [-step, 0],
      ArrowUp: [0, step],
      ArrowDown: [0, -step],
    };
    if (evt.key === "+" || evt.key === "=") this.zoomBy(1.25);
    else if (evt.key === "-") this.zoomBy(0.8);
    else if (evt.key === "0") this.fit();
    else if (evt.key in moves) {
      const [x, y] = moves[evt.key];
      this.cy.panBy({ x, y });
    } else return;
    evt.preventDefault();
  }
}

/** The legend, in words, for every colour, border and line the graph uses. */
export function legend(): HTMLElement {
  const swatch = (fill: string, border = "solid"): SVGElement =>
    s("svg", { width: 18, height: 18, "aria-hidden": "true" },
      s("circle", { cx: 9, cy: 9, r: 7, fill, stroke: "#1f2933", "stroke-width": 2,
        "stroke-dasharray": border === "dashed" ? "4 2" : border === "dotted" ? "1.5 2" : null }));
  const line = (rel: Relation): SVGElement => {
    const st = RELATION_STYLE[rel];
    return s("svg", { width: 30, height: 12, "aria-hidden": "true" },
      s("line", { x1: 1, y1: 6, x2: 29, y2: 6, stroke: st.color, "stroke-width": st.width,
        "stroke-dasharray": st.line === "dashed" ? "6 3" : st.line === "dotted" ? "2 3" : null }));
  };
  const item = (mark: Node, text: string): HTMLElement => h("li", {}, mark, " ", text);
  return h(
    "div",
    { class: "legend" },
    h("div", {}, h("h3", {}, "Conflict (fill)"),
      h("ul", {}, ...(Object.keys(CONFLICT_STYLE) as ConflictState[]).map((k) => item(swatch(CONFLICT_STYLE[k].fill), CONFLICT_STYLE[k].text)))),
    h("div", {}, h("h3", {}, "Status (border)"),
      h("ul", {}, ...(["AVAILABLE", "GATED", "DELETED", "UNKNOWN"] as ModelStatus[]).map((k) => item(swatch("#ffffff", STATUS_STYLE[k].border), STATUS_STYLE[k].text)))),
    h("div", {}, h("h3", {}, "Relation (line, parent → child)"),
      h("ul", {}, ...(Object.keys(RELATION_STYLE) as Relation[]).map((k) => item(line(k), k.toLowerCase())))),
    h("p", { class: "legend-note" }, "Depth 0 (a family's root, or the models that declare the licence or impose the term) is a rounded rectangle. " +
      "Labels are shown where they fit: zoom in for more, hover a model for its full id. Click a model for its details; double-click opens its dossier."),
  );
}
