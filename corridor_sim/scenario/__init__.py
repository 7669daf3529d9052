"""The scenario stage: what a user writes, read, checked and derived. It imports only the pure
helpers at the top of the package; every later stage reads scenarios from here.

- ``schema``: the typed, frozen Scenario (units in field names, unknown keys rejected)
- ``safeyaml``: reading YAML within limits (size, encoding, nesting, aliases)
- ``problems``: every problem under its YAML path and line, in one ``ScenarioError``
- ``files``: a scenario file and the files it ``extends``, merged
- ``paths``: dotted paths into a scenario, as ``--set`` takes them
- ``checks``: what the schema alone cannot check, one check per section
- ``pricing``: what a unit pays and emits on a route, leg by leg
- ``timeline``: the scenario after each dated entry, resolved once (``Timeline``)
- ``load``: ``load_scenario`` and ``validate_dict``
- ``variants``: the one place a scenario is derived with something changed
- ``candidates``: the measures ``corridor-sim plan`` chooses from
- ``labels``: readable names of nodes, lines and resources, and ``describe``
- ``schema_doc``: docs/scenario.md and the JSON Schemas, generated from the schema
"""

from .labels import describe
from .load import load_scenario, validate_dict
from .problems import ScenarioError
from .schema import Scenario

__all__ = ["Scenario", "ScenarioError", "describe", "load_scenario", "validate_dict"]
