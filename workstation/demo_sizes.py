"""The demo data's sizes and seed: their smallest and default values, which `dws demo --help` shows. Apart from
demo/generator.py and demo_store.py (which re-export them) so that building the `dws` parser imports neither."""

from __future__ import annotations

MIN_TAXPAYERS = 1000         # enough for every demo request to find distinct taxpayers (incl. ~1 % on hold)
MIN_BULK_SUBJECTS = 101      # more than the default bulk threshold (100)
DEFAULT_TAXPAYERS = 2000
DEFAULT_BULK_SUBJECTS = 5000
DEFAULT_SEED = 1
