"""The command line stage: ``corridor-sim`` and ``python -m corridor_sim``. It imports every stage
before it; nothing imports it but the package's ``__main__``.

- ``main``: the command group, its errors and exit statuses, the options commands share
- ``run``: ``run`` (one scenario, once or replicated)
- ``compare``: ``compare`` (scenarios and demand cases side by side, with capacity)
- ``analyses``: ``sweep``, ``capacity``, ``appraise``, ``plan``, ``bottlenecks``, ``sensitivity``
- ``files``: ``validate``, ``charts``, ``report``, ``schema``, ``kpis``
- ``terminal``: tables that fit the console, progress bars or log lines, logging
"""

from . import analyses, compare, files, run
from .main import main

__all__ = ["analyses", "compare", "files", "main", "run"]
