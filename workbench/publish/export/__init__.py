"""Publish charts and tables: PNG, SVG, PDF and offline HTML charts; CSV, XLSX and ODS tables.

:mod:`.meta` says what every exported chart and table says about itself; :mod:`.alt_text`
describes a chart from its data; :mod:`.chart_files` renders charts; :mod:`.disclosure` applies
disclosure control to tables; :mod:`.tables` types a table's cells; :mod:`.csv_files` and
:mod:`.spreadsheets` write them; :mod:`.files` picks the writer for a format and names the file.
"""
