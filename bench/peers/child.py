"""Runs one system's measurement in this (fresh) interpreter and prints its result as JSON.

``python -m bench.peers.child SYSTEM '{"path": ..., "sessions": ..., ...}'``, run from the
repository with the interpreter that has SYSTEM installed; the parent reads the last line.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any, Final

#: Each system's module, imported only in the child that runs it.
MODULES: Final = {
    "floor": "bench.peers.floor",
    "library": "bench.peers.library",
    "agents-sdk": "bench.peers.agents_sdk",
    "adk": "bench.peers.adk",
}


def main(argv: list[str]) -> None:
    system, params = argv[0], json.loads(argv[1])
    outcome: dict[str, Any] = importlib.import_module(MODULES[system]).run(**params)
    print(json.dumps(outcome))


if __name__ == "__main__":
    main(sys.argv[1:])
