"""MkDocs hooks of the documentation site (mkdocs.yml): the notebooks and the changelog live
outside docs/ (notebooks/, CHANGELOG.md), so the site takes them from where they are instead of
keeping copies that could drift."""

from __future__ import annotations

from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]


@event_priority(100)  # before the notebook plugin, which turns the .ipynb files it finds into pages
def on_files(files, config):
    """Add notebooks/*.ipynb and notebooks/README.md as notebooks/..., CHANGELOG.md as changelog.md."""
    for path in sorted((ROOT / "notebooks").iterdir()):
        if path.suffix in {".ipynb", ".md"}:
            # a file of the repository root's tree (not File.generated): the notebook plugin wraps it
            # and reads its source through src_dir
            files.append(File(f"notebooks/{path.name}", str(ROOT), config["site_dir"], config["use_directory_urls"]))
    files.append(File.generated(config, "changelog.md", abs_src_path=str(ROOT / "CHANGELOG.md")))
    return files
