"""The analyses stage: questions asked of many runs. It imports the experiments stage (and those
before it); only the presentation and the command line build on it. Each result type writes its
own folder and reads it back (``write(folder)``, ``read(folder)``), so a Python session writes
what the command line does and the report reads either.

- ``sweep``: a grid of parameter values (``Sweep``)
- ``bottlenecks``: one step more of each resource, ranked by the tonnes it adds (``Ranking``)
- ``sensitivity``: Morris screening of the uncertain parameters (``Sensitivity``)
- ``capacity``: what the corridor could carry, year by year (``CapacityEstimate``)
- ``appraisal``: what each costed measure buys against the scenario without it (``Appraisal``)
- ``plan``: the cheapest set of candidate measures that reaches a capacity goal (``Plan``)
- ``goal``: scenarios compared with each file's capacity beside its delivered tonnes
- ``files``: reading an analysis folder's tables back, whole
"""
