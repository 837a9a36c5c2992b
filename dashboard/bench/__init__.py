"""Benchmarks, one entry point: ``python -m dashboard.cli bench`` (``runner.py``; ``--list`` names every
group and scenario). ``harness.py`` holds what the groups share; each other module is one group of
scenarios (``baseline``, ``kyc``, ``support``, ``transactions``, ``portfolios``, ``groups``) or the audit
log's timers (``audit.py``, ``audit_fill.py``, behind ``python -m dashboard.cli audit bench | fill``).

Imports point one way: the command line imports ``runner``, ``runner`` imports the groups, the groups
import ``harness`` only. This ``__init__`` imports nothing.
"""
