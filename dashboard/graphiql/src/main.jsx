// GraphiQL for the Lineage API. Everything the page runs is in this bundle (no inline script, no
// CDN), so it works offline and under a CSP of script-src 'self'. Headers typed in the headers
// editor (API keys) stay in memory: shouldPersistHeaders is off (which also hides the setting) and
// everything GraphiQL saves goes through headerFreeStorage, which drops headers from history too.
import { GraphiQL } from "graphiql";
import { createRoot } from "react-dom/client";
import "graphiql/style.css";
import "./page.css";
import { headerFreeStorage } from "./storage.js";

// The endpoint is "graphql" next to the page (the page is served at /graphql and /graphiql), so
// the IDE keeps working behind a reverse proxy that mounts the API under a path.
const endpoint = new URL("graphql", document.baseURI).href;

async function fetcher(params, options) {
  const response = await fetch(endpoint, {
    method: "POST",
    credentials: "same-origin",
    headers: { Accept: "application/json", "Content-Type": "application/json", ...(options?.headers ?? {}) },
    body: JSON.stringify(params),
  });
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return { errors: [{ message: `HTTP ${response.status}: ${text.slice(0, 500)}` }] };
  }
}

const DEFAULT_QUERY = `# Lineage GraphQL API. Mutations need "Authorization": "Bearer <key>" in Headers
# (headers are never saved in this browser).
{
  licenses {
    id
  }
}
`;

createRoot(document.getElementById("graphiql")).render(
  <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} shouldPersistHeaders={false} storage={headerFreeStorage} />,
);
