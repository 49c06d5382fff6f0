"""Bootstrap the graph from a Hub metadata dump (Parquet), without calling the Hub API (``lineage import``).

The dump: one row per model in the shape of https://huggingface.co/datasets/cfahlgren1/hub-stats
``models.parquet`` (the Hub's ``/api/models`` JSON keys as columns). Columns read — the one table is
:data:`dumps.columns.COLUMNS`: ``id`` (or ``modelId``) and ``tags`` are **required** (a file without
either is refused before anything is written: exit 2, naming the column and the columns found);
``cardData`` (struct or JSON text), ``baseModels``, ``author``, ``sha``, ``createdAt``/``created_at``,
``lastModified``/``last_modified``, ``downloads``, ``likes``, ``gated``, ``library_name``,
``pipeline_tag``, ``safetensors``, ``gguf`` are optional. Without ``cardData`` lineage comes from the
``base_model:`` tags (and ``baseModels``) only and the licence from the ``license:`` tag only (no
``license_name``/``license_link``). ``baseModels`` is used only when a row's tags have no
``base_model:`` tag: it becomes the tags the Hub would have listed, so it gives the same evidence
through the same parser.

Each row: :func:`dumps.rows.hub_item` (the Hub's JSON; bad values left out and described) →
``ModelInfo`` → ``crawler.listing.observe_listed`` with a Source ``file:///abs/path#row=N``,
revision ``sha256:<file hash>``, observed at the snapshot time recorded in the file's metadata or
else the file's mtime → ``GraphWriter.write`` per batch (:mod:`dumps.importer`, with retries and a
checkpoint). The whole story, with exit codes and limits: docs/import.md.
"""
