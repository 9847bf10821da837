"""`xuncha demo` corpus generator: messy ledgers + expected.json (the ground truth).

Also the test and benchmark tool: any number of counties, any number of problems per
county, any seed, messiness on or off.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pipelines.demo.corpus import Writer
from pipelines.demo.world import build_world, expected_metrics, merge_worlds
from pipelines.metrics import sum_metrics

COUNTY_NAMES = ["山丹县", "民乐县", "临泽县", "高台县", "肃南县", "古浪县", "永昌县", "民勤县", "景泰县", "靖远县"]


# further counties (a province-scale corpus): made-up two-character names, written in Chinese characters only as
# real county names are (a county is recognised from its name in titles, unit names and folder names)
_FIRST = "安宁平和永定长兴清河东阳西华南丰北川"
_SECOND = "乐山水源泉城川原林台峰河"


def county_name(i: int) -> str:
    if i < len(COUNTY_NAMES):
        return COUNTY_NAMES[i]
    k = i - len(COUNTY_NAMES)
    n1, n2 = len(_FIRST), len(_SECOND)
    name = _FIRST[k // n2 % n1] + _SECOND[k % n2] + "县"
    if k >= n1 * n2:  # beyond 192 further counties: a third character from the round of names
        name = _FIRST[k // (n1 * n2) % n1] + name
    return name


def generate(out_dir: Path, *, seed: int = 20200630, counties: int = 1, problems_per_county: int = 1000,
             messy: bool = True, clean: bool = True, plain_names: bool = False) -> dict:
    """Write the corpus into out_dir and return (and write) the ground truth as expected.json.

    Several counties go into one folder each (out_dir/<县名>/). By default their names are made unique across
    counties (the county's name before every round, township and village; register names only), which is how
    the scale benchmark has always been built. plain_names writes each county exactly as it would be alone:
    short forms such as 县财政局 and round names such as 十四届县委第一轮巡察 that collide between counties (the
    first county is then byte for byte the one-county demo, in its folder)."""
    out_dir = Path(out_dir)
    if clean and out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    worlds, truths = [], []
    for i in range(counties):
        name = county_name(i)
        qualify = counties > 1 and not plain_names
        w = build_world(seed + i, county=name, problems_total=problems_per_county, qualify_rounds=qualify)
        root = out_dir if counties == 1 else out_dir / name
        writer = Writer(w, root, seed + i, messy=messy)
        writer.exact_names = qualify
        t = writer.write_all()
        prefix = "" if counties == 1 else f"{name}/"
        for b in t.bad_rows:
            b["file"] = prefix + b["file"]
        t.files = [prefix + f for f in t.files]
        for d in t.duplicates:
            d["file"], d["duplicate_of"] = prefix + d["file"], prefix + d["duplicate_of"]
        for u in t.unclassified:
            u["file"] = prefix + u["file"]
        worlds.append(w)
        truths.append(t)
    world = merge_worlds(worlds)
    rows: dict[str, int] = {}
    for t in truths:
        for k, n in t.rows_by_kind.items():
            rows[k] = rows.get(k, 0) + n
    expected = {
        "county": worlds[0].county if counties == 1 else None,
        "counties": [w.county for w in worlds],
        "seed": seed,
        "messy": messy,
        "as_of": world.as_of.isoformat(),
        # one merged world measures the region only while no name is shared; plain names: each county on its own
        "metrics": sum_metrics([expected_metrics(w) for w in worlds]) if plain_names and counties > 1
        else expected_metrics(world),
        "by_county": {w.county: expected_metrics(w) for w in worlds} if counties > 1 else None,
        "rows_by_kind": dict(sorted(rows.items())),
        "bad_rows": [b for t in truths for b in t.bad_rows],
        "files": [f for t in truths for f in t.files],
        "duplicates": [d for t in truths for d in t.duplicates],
        "sheets_unclassified": [u for t in truths for u in t.unclassified],
        "messiness": {k: v for t in truths for k, v in t.messiness.items()},
        "personal_names": sorted({ld.subject for ld in world.leads} | {n for t in truths for n in t.personal}),
    }
    (out_dir / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=2), encoding="utf-8")
    return expected
