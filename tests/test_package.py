"""The wheel carries the ontology, shapes and queries, so an installed jobgraph works anywhere."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from util import PROJECT


def test_wheel_ships_ontology_shapes_and_queries(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                    str(tmp_path), str(PROJECT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("jobgraph-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "jobgraph/_resources/ontology/jobgraph.ttl" in names
    assert "jobgraph/_resources/shapes/jobs.ttl" in names
    assert "jobgraph/_resources/queries/job-profile.rq" in names
    for folder in ("ontology", "shapes", "queries"):
        shipped = {n.split(f"_resources/{folder}/", 1)[1] for n in names
                   if f"_resources/{folder}/" in n}
        on_disk = {p.relative_to(PROJECT / folder).as_posix()
                   for p in (PROJECT / folder).rglob("*") if p.is_file()}
        assert shipped == on_disk, folder
    assert any(n.endswith("entry_points.txt") for n in names)
