"""The presentation stage: what people see. It imports every stage before it and nothing after
(only the command line builds on it).

- ``plots``: every figure, by subject (a package)
- ``figures``: a result's figures, drawn into its folder as it is written, and ``write``
- ``report``: the self-contained HTML report (a package, with its template)
- ``assumptions``: the model's assumptions, written from the scenario that was run
- ``palette``: one set of colours for plots, the command line's files and the report
- ``explore``: the what-if explorer of notebook 01
"""

from .figures import figures, write

__all__ = ["figures", "write"]
