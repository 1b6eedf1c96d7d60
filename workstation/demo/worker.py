"""Entry point of a demo worker process: ``python -m workstation.demo.worker SPEC_JSON`` (see parallel.py)."""

from __future__ import annotations

import sys

from workstation.demo.parallel import worker_main

if __name__ == "__main__":
    try:
        worker_main(sys.argv[1])
    except BrokenPipeError:          # the parent stopped reading (it failed or was interrupted)
        sys.exit(1)
