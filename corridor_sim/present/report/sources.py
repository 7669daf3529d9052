"""The result folders a report reads: single runs, replicated runs or a comparison folder.

Memory stays bounded for large runs: each replication is read with only the tables the
statistics need (``LIGHT_TABLES``), and the detail behind the map and the port charts
(``DETAIL_TABLES``) is read for one replication at a time, drawn, and dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...experiments.comparison import scenario_folders
from ...run.output import ResultsFolderError
from ...run.results import Results, load_results, replication_folders, scenario_of
from ...scenario.schema import Scenario

# what the statistics need from each replication (the rest stays on disk)
LIGHT_TABLES = ("annual", "resources", "interventions", "demand", "routes")
DETAIL_TABLES = ("resources", "links", "lines", "levels", "closures", "demand", "interventions")


@dataclass
class Source:
    """One scenario's runs on disk: where its replications are, and what it was run with."""

    scenario: Scenario
    folders: list[Path]

    @property
    def label(self) -> str:
        return self.scenario.label

    def light(self) -> list[Results]:
        """Each replication with only what the statistics need."""
        return [load_results(f, self.scenario, LIGHT_TABLES) for f in self.folders]

    def detail(self) -> Results:
        """The first replication's detail behind the map and the port charts."""
        return load_results(self.folders[0], self.scenario, DETAIL_TABLES)


def find_sources(folder: Path) -> list[Source]:
    """The scenarios in a single-run, replicated or comparison folder."""
    folder = Path(folder)
    if (folder / "comparison.json").exists():
        # in the comparison's own order, so every scenario keeps the colour the CLI's plots gave it
        out = []
        for sub in scenario_folders(folder):
            out += find_sources(sub)
        return out
    if (folder / "manifest.json").exists():
        reps = replication_folders(folder)
        if not reps:
            raise ResultsFolderError(
                f"{folder / 'replications'} holds no replication: the run finished none; complete it with --resume"
            )
        return [Source(scenario_of(folder), reps)]
    if not folder.is_dir():
        raise ResultsFolderError(f"{folder}: no such result folder")
    return [Source(scenario_of(folder), [folder])]


def load_folder(folder: Path) -> dict[str, list[Results]]:
    """Scenario label -> its runs (every table), from a single-run, replicated or comparison folder."""
    return {s.label: [load_results(f, s.scenario) for f in s.folders] for s in find_sources(Path(folder))}
