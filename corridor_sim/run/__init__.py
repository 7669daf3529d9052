"""The run stage: one simulation and its files. It imports the scenario and model stages (and the
pure helpers); the experiments and everything after build on it.

- ``simulate``: ``run(scenario, seed)``, the one place a Model is built and run
- ``tables``: the finished model's records -> the run's tables (``collect``)
- ``results``: ``Results``, writing a run folder and reading one back
- ``summary``: the statistics of a run or of replications, and the one summary.json
- ``view``: ``RunView``, what a run and replications have in common for the plots
- ``output``: the output contract (which folders may be written, atomic files, stage-and-swap)
- ``runsize``: a run's size before it starts, against this machine's memory
"""
