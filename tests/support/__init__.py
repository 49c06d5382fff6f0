"""What the tests share besides fixtures (those are in the ``conftest.py`` of each folder).

* :mod:`tests.support.stack` — free ports, emptying the graph, ``lineage serve`` as a process;
* :mod:`tests.support.graphql` — GraphQL run with the real per-request context, or over HTTP;
  the dashboard's queries (``DASHBOARD``);
* :mod:`tests.support.bundled` — the bundled snapshot crawled into the test graph;
* :mod:`tests.support.families` — a few real families crawled into the test graph (dossiers, AIBOMs);
* :mod:`tests.support.observations` — observations made by hand, the graph read back;
* :mod:`tests.support.crawl` — crawls through real worker processes;
* :mod:`tests.support.hubfakes` — recorded Hub bodies and an in-memory stand-in for ``HfApi``;
* :mod:`tests.support.browser` — Chromium, apps served in a thread, the stub API server, page actions;
* :mod:`tests.support.stub_api` — the stub API the dashboard's browser tests run against, executing
  ``contract.graphql`` (checked against the real schema by ``tests/browser/test_contract.py``).
"""
