"""Linked journeys: one row per case, from the police record through the CPS to the courts.

A journey follows one case through the stages of the criminal justice system: offence recorded,
suspect identified, referral to the CPS, charging decision, first hearing, completion and outcome.
The police, CPS and court extracts share no person identifier, so the journey table is built from
the clusters of a linkage model (which records belong to the same person) plus case evidence.
The modules:

- :mod:`~workbench.analysis.journeys.table`: the journey table itself (its schema, columns and
  names), written, read and dropped;
- :mod:`~workbench.analysis.journeys.matching`: the rules that join a CPS record to a police
  record and a court record to a CPS record;
- :mod:`~workbench.analysis.journeys.build`: building the table from a model's clusters (or the
  truth files), and whether it is current;
- :mod:`~workbench.analysis.journeys.accuracy`: the joins measured against the truth files.
"""
