// What GraphiQL saves in localStorage, without request headers. shouldPersistHeaders={false}
// keeps headers out of the saved tabs, but the history plugin still saves each run's headers
// (an API key) with its query; every value GraphiQL stores passes through here and any
// "headers" field in it is nulled before it reaches localStorage.
const NAMESPACE = "graphiql:";

export function withoutHeaders(value) {
  let parsed;
  try {
    parsed = JSON.parse(value);
  } catch {
    return value; // not JSON: a plain flag or a query text
  }
  return JSON.stringify(parsed, (key, inner) => (key === "headers" ? null : inner));
}

function ownKeys() {
  return Object.keys(localStorage).filter((key) => key.startsWith(NAMESPACE));
}

export const headerFreeStorage = {
  getItem: (key) => localStorage.getItem(key),
  setItem: (key, value) => localStorage.setItem(key, withoutHeaders(String(value))),
  removeItem: (key) => localStorage.removeItem(key),
  clear: () => ownKeys().forEach((key) => localStorage.removeItem(key)),
  get length() {
    return ownKeys().length;
  },
};
