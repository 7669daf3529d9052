"""Golden files: any change of behaviour shows in review.

tests/golden/tiny_corridor.yaml is a small corridor that uses every mechanism (a border crossing
with background trains, storms at two ports, feeders and a ferry under the draft, a flow choosing
between routes under patience and a demand response, a demand path, a timeline). Its summary for a
fixed seed, one run and three replications, is checked in. A change that moves any number
fails here, naming what moved; if the change is meant, regenerate the files and let the diff be
reviewed with the change:

    python -m tests.test_golden          # from the clone's root
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import corridor_sim as cs
from corridor_sim.experiments.replicated import Replicated
from corridor_sim.experiments.replications import replicate
from corridor_sim.run.summary import check_summary

GOLDEN = Path(__file__).parent / "golden"
SCENARIO = GOLDEN / "tiny_corridor.yaml"
SEED = 7
REPLICATIONS = 3


def summaries() -> dict[str, dict]:
    scn = cs.load_scenario(SCENARIO)
    one = cs.run(scn, seed=SEED, detail=False).summary()
    reps = replicate(scn, REPLICATIONS, seed=SEED, workers=1)
    many = Replicated(scn, SEED, reps).summary()
    # through JSON, as summary.json is written and read
    return {"run": json.loads(json.dumps(one)), "replicated": json.loads(json.dumps(many))}


def _differences(want, got, path: str = "") -> list[str]:
    if isinstance(want, dict) and isinstance(got, dict):
        out = [f"{path}.{k}: missing" for k in want if k not in got]
        out += [f"{path}.{k}: new" for k in got if k not in want]
        for k in want:
            if k in got:
                out += _differences(want[k], got[k], f"{path}.{k}")
        return out
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            return [f"{path}: {len(want)} items, now {len(got)}"]
        return [d for i, (a, b) in enumerate(zip(want, got)) for d in _differences(a, b, f"{path}[{i}]")]
    if isinstance(want, (int, float)) and isinstance(got, (int, float)) and not isinstance(want, bool):
        if math.isclose(want, got, rel_tol=1e-9, abs_tol=1e-12):
            return []
    elif want == got:
        return []
    return [f"{path}: {want!r} -> {got!r}"]


def test_summaries_match_the_golden_files():
    got = summaries()
    for name, summary in got.items():
        assert check_summary(summary) == [], name
        want = json.loads((GOLDEN / f"tiny_corridor_{name}_summary.json").read_text())
        diff = _differences(want, summary, name)
        assert not diff, (
            "behaviour changed (if meant: python -m tests.test_golden, and review the diff):\n  "
            + "\n  ".join(diff[:40])
        )


def test_the_golden_corridor_exercises_what_it_claims():
    """The file is only worth its place if the mechanisms it names are in play."""
    s = json.loads((GOLDEN / "tiny_corridor_replicated_summary.json").read_text())
    y = s["years"]["2025"]
    assert y["binding_bottleneck"]["binding"] and y["binding_bottleneck"]["kind"] == "fleet"
    assert 0.05 < y["route_split"]["boxes"]["to_inland"]["mean"] < 0.95  # a real route choice
    assert (
        s["years"]["2024"]["flows"]["wagons"]["tons_offered"]["mean"] > y["flows"]["wagons"]["tons_offered"]["mean"]
    )  # the demand path falls
    assert [i["id"] for i in s["interventions"]] == ["second_feeder_group", "faster_border"]


def regenerate() -> None:
    for name, summary in summaries().items():
        path = GOLDEN / f"tiny_corridor_{name}_summary.json"
        path.write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    regenerate()
