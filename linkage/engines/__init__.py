"""The database engines Splink runs on: DuckDB set up for linkage, and Apache Spark sessions.

:mod:`linkage.backends` puts them behind one interface.
"""
