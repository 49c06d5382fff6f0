/** Small DOM helpers: elements are built with textContent only, so no API string is ever parsed as HTML. */

type Attrs = Record<string, string | number | boolean | null | undefined>;
type Child = Node | string | number | null | undefined | false;

/** Creates an HTML element with attributes (`class`, `aria-*`, `data-*`, …) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** Creates an SVG element. */
export function s(tag: string, attrs: Attrs = {}, ...children: Child[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el: Element, attrs: Attrs): void {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    el.setAttribute(key, value === true ? "" : String(value));
  }
}

function append(el: Element, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** The element with this id, which the page's HTML must have. */
export function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

/** Replaces all children of `el`. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** Human words for an enum value: `NON_COMMERCIAL` → `non commercial`. */
export function words(value: string | null | undefined): string {
  return (value ?? "unknown").toLowerCase().replace(/_/g, " ");
}

/** Thousands separators for counts. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** An element showing a number that a test (or a reader of the DOM) can find: `data-count` names what it
 * counts, `data-value` holds the number, the text says it in words. */
export function counted<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  key: string,
  value: number,
  text: string,
  attrs: Record<string, string | number | boolean | null | undefined> = {},
): HTMLElementTagNameMap[K] {
  return h(tag, { ...attrs, "data-count": key, "data-value": value }, text);
}

/** "first N of M" when a list shows fewer than there are, else "all M" (or just M with `bare`). */
export function shownOf(shown: number, total: number): string {
  return shown < total ? `first ${count(shown)} of ${count(total)}` : count(total);
}
