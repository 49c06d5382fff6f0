"""The ASGI entry point for uvicorn: ``uvicorn api.main:app`` (``lineage serve`` runs it).

The server process tunes Python's cyclic garbage collector: everything imported at start-up (the
schema, the licence catalog, the libraries) is moved out of the collector's view (``gc.freeze``),
and the youngest generation is collected after 50,000 allocations instead of 700. A GraphQL answer
allocates tens of thousands of short-lived objects that reference counting frees anyway; with the
default thresholds the collector re-walked the whole heap several times per request (about a fifth
of the API's CPU per request in ``bench/api_load.py``). It also lowers the interpreter's switch
interval from 5 to 2 ms, so the event loop waits less for the compute thread (``graph.reads.compute_thread``).
"""

import gc
import sys

from api.app import create_app

app = create_app()

sys.setswitchinterval(0.002)  # the event loop gets the interpreter back sooner from the compute thread

gc.collect()
gc.freeze()
gc.set_threshold(50_000, 50, 100)
