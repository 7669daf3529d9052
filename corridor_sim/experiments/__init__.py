"""The experiments stage: many runs. It imports the run stage (and those before it); the analyses
and everything after build on it.

- ``execution``: ``Execution`` (where and how), ``Task``, ``Outcome[R]``, the ``task`` wrapper,
  and the process pool or Dask cluster that runs a batch
- ``replications``: replications of a scenario on disk, with their manifest and ``resume``
- ``replicated``: ``Replicated``, the statistics of one scenario's replications
- ``comparison``: ``Comparison``, several scenarios side by side on the same seeds (tables)
"""
