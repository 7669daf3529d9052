"""The report: one self-contained HTML file from result folders and analysis folders
(``build_report``, ``write_report``; the template in templates/report.html.j2)."""

from .build import GENERATOR, build_report, write_report

__all__ = ["GENERATOR", "build_report", "write_report"]
