"""Rail capacity from the track, checked against what is published.

Fits the one free factor of the track method (``fill_share``, the usable share of the theoretical
capacity) to the corridor's two single-track lines with an unambiguous published capacity, from
the base scenario's own track data, and compares it with the ``fill_share`` base.yaml uses; then
prints every published figure beside the paths base.yaml's tracks give (error = computed /
published - 1), and every rail link's paths a day in 2024 and 2030 with the method. Nothing is
simulated. Method and sources: corridor_sim/scenario/track.py, seeds/SOURCES.md section 13.
Usage: python benchmarks/track_check.py
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import corridor_sim as cs
from corridor_sim.scenario.timeline import timeline
from corridor_sim.scenario.track import paths_per_day

ROOT = Path(__file__).resolve().parents[1]

# (label, link, after this timeline entry or None, published paths/day, how it reads, role, source)
PUBLISHED = [
    (
        "Dostyk-Moyinty, single track",
        "dostyk_aktogay",
        None,
        12.0,
        "12 pairs/day",
        "fit",
        "Qazinform; Trend; DKnews 2025",
    ),
    (
        "Altynkol-Zhetygen, single track",
        "altynkol_almaty",
        None,
        18.0,
        "18 pairs/day",
        "fit",
        "BAQ.kz; Zakon.kz 2026",
    ),
    (
        "Kyzylzhar-Sekseuil (Zhezkazgan-Beineu)",
        "zhezkazgan_beineu",
        None,
        8.0,
        "8 trains/day (read as pairs)",
        "check",
        "Min. Sauranbayev, Aug 2025 (Kazakhstan Today; rail-news.kz)",
    ),
    (
        "Dostyk-Moyinty, double track",
        "dostyk_aktogay",
        "dostyk_moyinty_second_track",
        60.0,
        "60 pairs/day",
        "check",
        "DKnews 2025; MENAFN/Trend",
    ),
    (
        "Rikoti pass (Georgian mainline)",
        "marabda_samtredia",
        None,
        17.5,
        "15 Mt/yr = 14-21 loaded trains/day",
        "check",
        "Day.Az/Trend 2013 (15 Mt/yr); 2,000-3,000 t a train (DERIVED)",
    ),
    (
        "Georgian mainline after the modernisation",
        "marabda_samtredia",
        "georgian_railway_modernization",
        55.0,
        "48 Mt/yr = 44-66 loaded trains/day",
        "check",
        "Vestnik Kavkaza (Gurashvili, 2025); 2,000-3,000 t a train (DERIVED)",
    ),
]


def state(scn, entry: str | None):
    """The scenario as it stands after a timeline entry (None: before any)."""
    if entry is None:
        return scn
    return timeline(scn).after(entry)


def link(s, lid: str):
    return next(l for l in s.rail_links if l.id == lid)


def method(l) -> str:
    if l.paths_per_day is not None:
        return "explicit paths_per_day (a documented exchange cap)"
    t = l.track
    if t is None:
        return "unconstrained"
    if t.tracks >= 2:
        return f"double track, {t.headway_min:g} min headway"
    sec = t.loop_spacing_km if t.loop_spacing_km is not None else l.length_km / (t.loops + 1)
    return f"single track, {sec:.1f} km sections at {t.running_speed_kmh:g} km/h"


def main() -> None:
    scn = cs.load_scenario(ROOT / "scenarios" / "base.yaml")
    fits = []
    for label, lid, entry, pub, _, role, _ in PUBLISHED:
        if role == "fit":
            l = link(state(scn, entry), lid)
            theory = paths_per_day(l.track.model_copy(update={"fill_share": 1.0}), l.length_km)
            fits.append((label, pub, theory))
    fill = math.exp(sum(math.log(p / t) for _, p, t in fits) / len(fits))
    used = link(scn, "dostyk_aktogay").track.fill_share
    print("### The one free factor: fill_share (usable share of the theoretical capacity)\n")
    for label, pub, theory in fits:
        print(f"- {label}: published {pub:g} of {theory:.1f} theoretical = {pub / theory:.3f}")
    print(
        f"- fitted (geometric mean): {fill:.3f}; base.yaml uses {used:g} "
        "(UIC 406's daily occupancy for mixed-traffic lines is 0.60)\n"
    )
    print("### Computed paths a day against the published figures (base.yaml's tracks)\n")
    print("| line | link | method | computed paths/day | published | error | role | source |")
    print("|---|---|---|---:|---|---:|---|---|")
    for label, lid, entry, pub, reads, role, src in PUBLISHED:
        l = link(state(scn, entry), lid)
        got = l.paths
        print(
            f"| {label} | {lid}{' (after ' + entry + ')' if entry else ''} | {method(l)} | {got:.1f} | "
            f"{reads} | {got / pub - 1:+.0%} | {role} | {src} |"
        )
    print()
    print("### Every rail link's paths a day (each way), 2024 and 2030\n")
    y2030 = timeline(scn).on(dt.date(2030, 12, 31))
    print("| link | railway | km | 2024: method | 2024 paths/day | other trains/day | 2030 paths/day |")
    print("|---|---|---:|---|---:|---:|---:|")
    for l in scn.rail_links:
        l30 = link(y2030, l.id)
        print(
            f"| {l.id} | {l.railway or '-'} | {l.length_km:g} | {method(l)} | {l.paths:.1f} | "
            f"{l.background_trains_per_day:g} | {l30.paths:.1f} |"
        )


if __name__ == "__main__":
    main()
