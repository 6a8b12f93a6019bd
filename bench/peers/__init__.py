"""The library beside two peer session stores on one workload: ``python -m bench.peers``.

The peers (the OpenAI Agents SDK's ``SQLiteSession`` and Google ADK's
``SqliteSessionService``) are installed only for this benchmark, in a virtual environment of
their own (``make bench-peers`` creates ``bench/.peers-venv``); nothing in the project imports
them. Each system runs in a fresh child process per repetition, started with the interpreter
that has that system installed, and prints its figures as JSON: ``bench.peers.child``.

This package imports nothing of the library nor of the peers: each system's module is imported
only in the child that runs it.
"""
