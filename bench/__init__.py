"""The benchmark harness: the library's own cost measured against the database's floor.

``python -m bench`` (or ``make bench``) runs it and rewrites the performance section of
``bench/RESULTS.md`` and ``bench/results.json``; ``python -m bench --help`` lists the flags.
"""
