"""The compact topology file keeps every row's week, id, relation and bases, and nothing else."""

from __future__ import annotations

import gzip
from pathlib import Path

from hubreplay.scale.topology_file import read_topology, write_topology

SOURCE = """week,model_id,relation,base_models
0326,b/child,finetune,a/root
0319,a/root,,
0326,c/merge,merge,a/root;z/old-base
0402,d/quant,quantized,b/child
"""


def test_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "new.csv.gz"
    source.write_bytes(gzip.compress(SOURCE.encode()))
    written = write_topology(source, tmp_path / "topology.txt.xz")
    loaded = read_topology(tmp_path / "topology.txt.xz")
    assert loaded == written
    assert loaded.ids == ["a/root", "b/child", "c/merge", "d/quant", "z/old-base"]
    assert loaded.rows == 4
    assert loaded.week_of_row() == ["0319", "0326", "0326", "0402"]
    assert [loaded.relation(i) for i in range(4)] == [None, "finetune", "merge", "quantized"]
    assert [[loaded.ids[b] for b in bases] for bases in loaded.bases] == [
        [], ["a/root"], ["a/root", "z/old-base"], ["b/child"]
    ]
    assert "cf92cec043265a7cb987746efbf8870fee22977e" in loaded.provenance
