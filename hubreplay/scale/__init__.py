"""Scale hubs: a Hub-sized replay hub held as compact columns, not one object per model.

* :mod:`hubreplay.scale.synthetic` generates N models (3,000,000 by default) from a seed, shaped
  by the real topology's statistics; :mod:`hubreplay.scale.synthetic_source` renders their payloads.
* :mod:`hubreplay.scale.topology` serves the bundled real March-July 2025 Hub topology (real ids
  and declared lineage only, nothing invented).
* :mod:`hubreplay.scale.catalog` and :mod:`hubreplay.scale.order` index both for listings with
  keyset cursors; :mod:`hubreplay.scale.changes` applies a day of Hub churn.

HTTP is in :mod:`hubreplay.serve.scale_app`; start one with ``lineage hub serve --scale
synthetic|topology`` or :func:`hubreplay.serve.serve_scale_in_thread`. See ``README.md`` here.
"""

from hubreplay.scale.errors import ScaleHubError
from hubreplay.scale.hub import ScaleHub, build_scale_hub
from hubreplay.scale.settings import ScaleKind, ScaleSettings

__all__ = ["ScaleHub", "ScaleHubError", "ScaleKind", "ScaleSettings", "build_scale_hub"]
