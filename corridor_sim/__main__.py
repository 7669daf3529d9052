"""``python -m corridor_sim``: the same command line as ``corridor-sim``."""

from .cli import main

if __name__ == "__main__":
    main(prog_name="corridor-sim")
