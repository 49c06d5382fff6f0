"""Family view benchmark: the dashboard showing a root with 10,000+ direct children, in Chromium.

    python -m bench.family_view --uri bolt://127.0.0.1:17801 --root black-forest-labs/FLUX.1-dev [--loads 10]

Serves the API (dashboard included) in this process against the graph at ``--uri`` (e.g. the one
``lineage demo --scale`` filled), opens the dashboard in Debian's Chromium through playwright and,
``--loads`` times, loads ``/#root=<root>`` in a fresh page and times it until the family is shown:
the summary names the root, the results are no longer busy and the graph is drawn. The response
cache is off, so every load asks the graph. Prints the first (cold) load and the median / p90 / max
of the others, with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from urllib.parse import quote

__all__ = ["main"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uri", required=True)
    parser.add_argument("--root", default="black-forest-labs/FLUX.1-dev")
    parser.add_argument("--loads", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path("var/bench/family_view.json"))
    args = parser.parse_args()

    os.environ["LINEAGE_RESPONSE_CACHE"] = "0"
    from playwright.sync_api import sync_playwright

    from api.app import create_app
    from api.settings import ApiSettings
    from graph.settings import Neo4jSettings
    from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, served_in_thread

    app = create_app(ApiSettings(), Neo4jSettings(uri=args.uri, password=None))
    seconds: list[float] = []
    load_before = os.getloadavg()
    with served_in_thread(app, "bench-api") as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for _ in range(args.loads):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            began = time.perf_counter()
            page.goto(f"{base}#root={quote(args.root, safe='')}")
            page.wait_for_function(
                "root => document.querySelector('#summary')?.textContent?.includes('root:' + root)"
                " && document.querySelector('#results')?.getAttribute('aria-busy') !== 'true'"
                " && document.querySelectorAll('#graph canvas').length > 0",
                arg=args.root,
            )
            seconds.append(time.perf_counter() - began)
            shown = page.locator("#summary").text_content()
            page.close()
        browser.close()
    rest = sorted(seconds[1:]) or seconds
    figures = {
        "root": args.root, "loads": len(seconds), "first_s": round(seconds[0], 3),
        "median_s": round(statistics.median(rest), 3), "p90_s": round(rest[int(0.9 * (len(rest) - 1))], 3),
        "max_s": round(max(rest), 3), "summary": shown, "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(figures))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
