"""Results of one run: tidy pandas tables, a JSON summary, metadata, writing to a folder and
reading one back.

The tables are built once from what the model recorded (``tables.collect``). Every Results carries
the resolved scenario, its hash, the seed and the versions, so a table can always be traced to
what made it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from ..display import results_html, results_text
from ..scenario.load import validate_dict
from ..scenario.schema import Scenario
from . import output
from .summary import rekey_derived, summarize, valid_derived

# What draws a result's figures into the folder being written (``corridor_sim.present.figures``):
# results never draw themselves, the presentation stage does, called from ``write`` so that the
# figures are part of the folder's one atomic swap. Called with (the result, the folder).
Figures = Callable[[Any, Path], object]

TABLES = (
    "annual",
    "lots",
    "resources",
    "levels",
    "voyages",
    "vessel_states",
    "closures",
    "links",
    "demand",
    "interventions",
    "routes",
    "transit",
    "lines",
    "diversions",
)
# pandas formats a CSV in chunks of ~16,000 rows by default, ~10 MB of strings at once for the
# levels of a 12-year run: smaller chunks keep writing's memory flat in the years simulated
CSV_CHUNK_ROWS = 2_000
# kept only when a run is asked for its detail (one row per consignment, voyage or vessel state)
DETAIL_TABLES = ("lots", "voyages", "vessel_states")


@dataclass(repr=False)  # the default repr would print every table: see display.py
class Results:
    """One run of a scenario with one seed: its tables (pandas DataFrames, one per ``TABLES``), the
    resolved scenario, the seed and the run's metadata (scenario hash, versions, events, wall time).

    ``annual`` (tonnes by year and flow, with stocks and days), ``resources`` (utilization and
    queues), ``routes`` (the route split with cost and CO2), ``links``, ``lines``, ``levels``,
    ``closures``, ``demand``, ``interventions``, ``transit`` and ``diversions`` (the tonnes diverted
    by outside alternative) are always there; ``lots``,
    ``voyages`` and ``vessel_states`` (one row per consignment, sailing or vessel state) only when
    the run kept its ``detail``. ``summary()`` is its summary.json; ``write(folder)`` writes it
    under the output contract, and ``load_results``/``open_results`` read a folder back. A single
    run and a ``Replicated`` are both a ``RunView`` (``run.view``), which the plots draw.
    """

    replicated: ClassVar[bool] = False  # one run, not the statistics of several (``RunView``)

    scenario: Scenario
    seed: int
    annual: pd.DataFrame
    lots: pd.DataFrame
    resources: pd.DataFrame
    levels: pd.DataFrame
    voyages: pd.DataFrame
    vessel_states: pd.DataFrame
    closures: pd.DataFrame
    links: pd.DataFrame
    demand: pd.DataFrame
    interventions: pd.DataFrame
    routes: pd.DataFrame
    transit: pd.DataFrame  # tonnes delivered by days in the corridor, in bins (the distribution without detail)
    lines: pd.DataFrame  # per year and sea line: sailings, units and tonnes (the map without detail)
    diversions: pd.DataFrame  # per year, flow, outside alternative and place: the tonnes that went that way
    metadata: dict = field(default_factory=dict)
    detail: bool = True  # whether the detail tables (DETAIL_TABLES) were kept
    # statistics derived from the tables, each computed once (``summary.once``): a worker fills it
    # writing its run's summary.json, and it travels back with the run, so the statistics across
    # replications and a comparison do not derive them again. Valid for the table objects they
    # were derived from (checked by identity): the tables are read-only once made.
    derived: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        # a Results made from another's fields gets its own dict (it may replace a table)
        self.derived = dict(self.derived)

    def __getstate__(self) -> dict:
        # values derived from tables since replaced do not travel
        return self.__dict__ if valid_derived(self) else {**self.__dict__, "derived": {}}

    def __setstate__(self, state: dict) -> None:
        # unpickled (a worker's run coming back): what was derived came with the very tables it
        # was derived from, which now have new identities
        self.__dict__.update(state)
        rekey_derived(self)

    # -- what a user looks at first ------------------------------------------------------------
    @property
    def years(self) -> list[int]:
        return list(range(self.scenario.start_year, self.scenario.end_year + 1))

    @property
    def n(self) -> int:
        """Runs behind the tables: one (``RunView``)."""
        return 1

    @property
    def runs(self) -> list[Results]:
        """The runs behind the tables: this one (``RunView``)."""
        return [self]

    def delivered_mt(self) -> pd.Series:
        """The corridor's tonnes delivered per year, in Mt (other traffic sharing it left out)."""
        other = [f.id for f in self.scenario.demand.flows if not f.corridor]
        a = self.annual[~self.annual.flow.isin(other)] if other else self.annual
        return a.groupby("year")["tons_delivered"].sum() / 1e6

    def summary(self) -> dict:
        """summary.json: this run as a batch of one (``run.summary``, docs/summary.md)."""
        return summarize([self], self.scenario, self.seed)

    # -- files -----------------------------------------------------------------------------------
    def write(self, out: str | Path, overwrite: bool = False, figures: Figures | None = None) -> Path:
        """Write the tables (CSV, plus Parquet with pyarrow), summary.json and metadata.json, and
        with ``figures`` the plots (``corridor_sim.present.write`` passes them).

        The output contract (``run.output``): ``out`` must be absent, empty, or earlier
        results, which are replaced only with ``overwrite``. Everything is written to a private
        folder beside ``out`` and swapped in at the end, so an interrupted or failed write never
        leaves a half-new result folder or loses the old one.
        """

        def fill(tmp: Path) -> None:
            parquet = have_pyarrow()
            for name in TABLES:
                if name in DETAIL_TABLES and not self.detail:
                    continue  # not kept: no empty file that looks like a result
                df = getattr(self, name)
                if parquet:
                    parquet_ready(df).to_parquet(tmp / f"{name}.parquet", index=False)
                # the detail tables grow with every simulated year: Parquet only (CSV costs ~12x the CPU)
                if name not in DETAIL_TABLES or not parquet:
                    df.to_csv(tmp / f"{name}.csv", index=False, chunksize=CSV_CHUNK_ROWS)
            (tmp / "summary.json").write_text(json.dumps(self.summary(), indent=2))
            (tmp / "metadata.json").write_text(json.dumps(self.metadata, indent=2, default=str))
            if figures is not None:
                figures(self, tmp)

        return output.write_folder(out, fill, kind="run", overwrite=overwrite)

    def _repr_html_(self) -> str:
        return results_html(self)

    def __repr__(self) -> str:
        return results_text(self)


def have_pyarrow() -> bool:
    """Whether Parquet can be written and read here (the optional ``[parquet]`` extra)."""
    try:
        import pyarrow  # noqa: F401

        return True
    except ImportError:
        return False


def parquet_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Parquet wants one type per column: object columns become strings."""
    obj = [c for c in df.columns if df[c].dtype == object]
    return df.astype({c: "string" for c in obj}) if obj else df


# columns renamed since: old result folders are read under the new names (docs/kpis.md, demand terms)
RENAMED_COLUMNS = {"tons_generated": "tons_offered"}


def load_results(
    folder: str | Path,
    scenario: Scenario,
    tables: tuple[str, ...] | None = None,
    columns: dict[str, list[str]] | None = None,
) -> Results:
    """Read a result folder written by ``Results.write`` back into Results (Parquet when present,
    so numbers round-trip exactly). A missing or damaged table or metadata.json is a
    ResultsFolderError naming the file.

    ``tables`` reads only those tables (the others are empty), and ``columns`` only some columns
    of a table: a report over many replications reads what each section needs, not every lot."""
    folder = Path(folder)
    wanted = set(TABLES if tables is None else tables)
    columns = columns or {}
    out: dict[str, Any] = {}  # table name -> its DataFrame
    meta = output.read_json(folder / "metadata.json", "metadata")
    detail = bool(meta.get("detail", True)) if isinstance(meta, dict) else True
    for name in TABLES:
        if name not in wanted:
            out[name] = pd.DataFrame()
            continue
        pq, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
        if name in DETAIL_TABLES and not detail:
            out[name] = pd.DataFrame()
            continue
        path = pq if pq.exists() and have_pyarrow() else csv
        cols = columns.get(name)
        try:
            if path is pq:
                df = pd.read_parquet(pq, columns=cols)
                out[name] = df.astype({c: object for c in df.columns if str(df[c].dtype) == "string"})
            else:
                out[name] = pd.read_csv(csv, usecols=cols) if csv.stat().st_size > 1 else pd.DataFrame()
        except FileNotFoundError:
            raise output.ResultsFolderError(
                f"{folder}: {path.name} is missing, so the result folder is incomplete"
            ) from None
        except Exception as exc:
            raise output.ResultsFolderError(
                f"{path}: the table is damaged and cannot be read ({type(exc).__name__}: {str(exc)[:200]})"
            ) from None
    if not isinstance(meta, dict) or isinstance(meta.get("seed"), bool) or not isinstance(meta.get("seed"), int):
        raise output.ResultsFolderError(f"{folder / 'metadata.json'}: the metadata is damaged (no integer 'seed')")
    if "tons_generated" in out.get("annual", pd.DataFrame()):  # written before "offered" was the word
        out["annual"] = out["annual"].rename(columns=RENAMED_COLUMNS)
    return Results(scenario, int(meta["seed"]), metadata=meta, detail=detail, **out)


def replication_folders(folder: Path) -> list[Path]:
    """The replication folders of a replicated result folder, in order (temporary ones left out)."""
    reps = folder / "replications"
    return sorted(p for p in reps.iterdir() if p.is_dir() and not p.name.startswith(".")) if reps.is_dir() else []


def scenario_of(folder: Path) -> Scenario:
    """The scenario a result folder was run with, from its metadata.json."""
    meta_path = folder / "metadata.json"
    if not meta_path.exists():
        raise output.ResultsFolderError(f"{folder} is not a result folder (no metadata.json)")
    meta = output.read_json(meta_path, "metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("scenario"), dict):
        raise output.ResultsFolderError(f"{meta_path}: the metadata is damaged (no 'scenario' mapping)")
    return validate_dict(meta["scenario"], str(meta_path), check_dates=False)


def open_results(folder: str | Path) -> Results:
    """Read a result folder with the scenario it was run with (from its metadata.json). A folder of
    replications opens its first replication."""
    folder = Path(folder)
    if not folder.is_dir():
        raise output.ResultsFolderError(f"{folder}: no such result folder")
    if (folder / "manifest.json").exists() and (folder / "replications").exists():
        reps = replication_folders(folder)
        if not reps:
            raise output.ResultsFolderError(
                f"{folder / 'replications'} holds no replication: the run finished none; complete it with --resume"
            )
        folder = reps[0]
    return load_results(folder, scenario_of(folder))
