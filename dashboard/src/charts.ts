/**
 * Horizontal bar charts drawn as plain SVG: each bar carries its label and its count as text,
 * so the numbers are readable without colour and are present for screen readers.
 */

import { count, h, s } from "./dom";

export interface Bar {
  label: string;
  value: number;
  /** What the bar counts, as `data-count` (e.g. `depth:1`). */
  key?: string;
}

const ROW = 26;
const LABEL_W = 110;
const VALUE_W = 64;
const WIDTH = 420;

/** A figure with an SVG bar chart (role="img" with a summary) and a caption. */
export function barChart(title: string, bars: Bar[], emptyText: string): HTMLElement {
  const figure = h("figure", { class: "chart" }, h("figcaption", {}, title));
  if (bars.length === 0) {
    figure.append(h("p", { class: "empty" }, emptyText));
    return figure;
  }
  const max = Math.max(1, ...bars.map((b) => b.value));
  const barSpace = WIDTH - LABEL_W - VALUE_W;
  const height = bars.length * ROW + 4;
  const summary = bars.map((b) => `${b.label}: ${b.value}`).join(", ");
  const svg = s("svg", {
    viewBox: `0 0 ${WIDTH} ${height}`,
    width: "100%",
    role: "img",
    "aria-label": `${title}. ${summary}`,
    preserveAspectRatio: "xMinYMin meet",
  });
  bars.forEach((bar, i) => {
    const y = i * ROW + 2;
    const w = Math.max(bar.value > 0 ? 2 : 0, Math.round((bar.value / max) * barSpace));
    const row = s(
      "g",
      { class: "bar", "data-label": bar.label, "data-value": bar.value, "data-count": bar.key ?? null },
      s("text", { x: LABEL_W - 8, y: y + ROW / 2, "text-anchor": "end", "dominant-baseline": "middle", class: "bar-label" }, bar.label),
      s("rect", { x: LABEL_W, y: y + 4, width: w, height: ROW - 8, rx: 2, class: "bar-rect" }),
      s("text", { x: LABEL_W + w + 6, y: y + ROW / 2, "dominant-baseline": "middle", class: "bar-value" }, count(bar.value)),
    );
    svg.append(row);
  });
  figure.append(svg);
  return figure;
}
