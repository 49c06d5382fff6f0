"""The request cost of valid time (issue 14): the bundled snapshot crawled upwards from every model through
``HubSource.iter_up``, once without and once with commit histories (``CrawlerSettings.history``), on the
bundled replay hub. Prints hub requests, history requests and seconds for each.

    PYTHONPATH=. .venv/bin/python -m bench.history_cost
"""

import time
from crawler.settings import CrawlerSettings
from crawler.source import HubSource
from hubreplay.serve import serve_in_thread
from tests.support.bundled import snapshot_models
everything, _ = snapshot_models()
with serve_in_thread() as hub:
    for history in (False, True):
        settings = CrawlerSettings.model_validate({"endpoint": hub.url, "max_retries": 0, "history": history})
        t = time.perf_counter()
        with HubSource(settings) as source:
            n = 0
            for model_id in everything:
                for _ in source.iter_up(model_id):
                    n += 1
            rep = source.report
            print(f"history={history}: models={len(everything)} hub_requests={source.client.requests} "
                  f"history_requests={getattr(rep, 'history_requests', None)} observations={n} seconds={time.perf_counter()-t:.1f}")
