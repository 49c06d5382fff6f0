"""The bundled copy of real Hub topology: a compact, xz-compressed columnar text file.

Layout (UTF-8, one item per line, sections in this order)::

    lineage-topology 1
    {"rows": R, "bases_only": B, "weeks": [["0319", 24255], …], "provenance": "…"}
    <R + B model ids: the R rows sorted by (week, id), then the B bare bases sorted>
    <one line of R relation letters: f finetune, a adapter, q quantized, m merge, - none>
    <R lines: the row's declared bases as ';'-joined positions in the id list, empty if none>

Only what the source holds is kept (week, id, relation, bases); rows are re-ordered (by week,
then id), nothing is added. Write it with ``python -m hubreplay.scale.topology_file SRC.csv.gz OUT``.
"""

from __future__ import annotations

import csv
import gzip
import json
import lzma
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["RELATION_LETTERS", "TopologyRows", "read_topology", "write_topology"]

MAGIC: Final = "lineage-topology 1"
RELATION_LETTERS: Final = {"finetune": "f", "adapter": "a", "quantized": "q", "merge": "m", "": "-"}
_LETTER_RELATIONS: Final = {letter: relation for relation, letter in RELATION_LETTERS.items()}
PROVENANCE: Final = (
    "Derived from the public repository MSC-empirical/msc-empirical (commit "
    "cf92cec043265a7cb987746efbf8870fee22977e, 2025-07-24; files data/added_models/added_model_MMDD.csv, taken "
    "from the Hub's base_model:<relation>:<id> tags by that project's weekly crawls; the repository states no "
    "licence for its data). Nothing was added or guessed; ids de-duplicated (first week kept), multi-base rows "
    "joined with ';'. Week = MMDD of 2025 of the crawl that first saw the model."
)


@dataclass(frozen=True, slots=True)
class TopologyRows:
    """The file's content: ``ids[:rows]`` are real rows, ``ids[rows:]`` bases referenced but not rows."""

    ids: list[str]
    rows: int
    weeks: list[tuple[str, int]]
    relations: str
    bases: list[tuple[int, ...]]
    provenance: str

    def week_of_row(self) -> list[str]:
        """The week of each row, in row order."""
        out: list[str] = []
        for week, count in self.weeks:
            out.extend([week] * count)
        return out

    def relation(self, row: int) -> str | None:
        return _LETTER_RELATIONS[self.relations[row]] or None


def write_topology(source_csv_gz: Path, out: Path) -> TopologyRows:
    """Read the source CSV (``week, model_id, relation, base_models``) and write the compact file."""
    with gzip.open(source_csv_gz, "rt", encoding="utf-8", newline="") as handle:
        rows = [(r["week"], r["model_id"], r["relation"], r["base_models"]) for r in csv.DictReader(handle)]
    rows.sort(key=lambda r: (r[0], r[1]))
    row_ids = [r[1] for r in rows]
    position = {model_id: i for i, model_id in enumerate(row_ids)}
    bare = sorted({b for r in rows for b in r[3].split(";") if b and b not in position})
    for model_id in bare:
        position[model_id] = len(position)
    weeks: list[tuple[str, int]] = []
    for week, *_ in rows:
        if weeks and weeks[-1][0] == week:
            weeks[-1] = (week, weeks[-1][1] + 1)
        else:
            weeks.append((week, 1))
    relations = "".join(RELATION_LETTERS[r[2]] for r in rows)
    bases = [tuple(position[b] for b in r[3].split(";") if b) for r in rows]
    header = {"rows": len(rows), "bases_only": len(bare), "weeks": weeks, "provenance": PROVENANCE}
    lines = [MAGIC, json.dumps(header), *row_ids, *bare, relations, *(";".join(map(str, b)) for b in bases)]
    with lzma.open(out, "wt", encoding="utf-8", preset=9 | lzma.PRESET_EXTREME) as handle:
        handle.write("\n".join(lines) + "\n")
    return TopologyRows(row_ids + bare, len(rows), weeks, relations, bases, PROVENANCE)


def read_topology(path: Path) -> TopologyRows:
    """Load the compact file."""
    with lzma.open(path, "rt", encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    if lines[0] != MAGIC:
        raise ValueError(f"{path} is not a {MAGIC!r} file")
    header = json.loads(lines[1])
    rows, bare = int(header["rows"]), int(header["bases_only"])
    ids = lines[2 : 2 + rows + bare]
    relations = lines[2 + rows + bare]
    start = 3 + rows + bare
    bases = [tuple(int(b) for b in line.split(";")) if line else () for line in lines[start : start + rows]]
    weeks = [(str(w), int(c)) for w, c in header["weeks"]]
    return TopologyRows(ids, rows, weeks, relations, bases, str(header["provenance"]))


if __name__ == "__main__":
    written = write_topology(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{written.rows} rows, {len(written.ids) - written.rows} bare bases -> {sys.argv[2]}")
