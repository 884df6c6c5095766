"""Stories: charts, tables and text collected, annotated and published as one HTML or PDF file.

:mod:`.model` holds the story and its blocks; :mod:`.sources` the recipes a chart or table block
is drawn from (with :mod:`.page_views` and :mod:`.demand` for blocks added from the analysis and
Demand pages, and :mod:`.filters` for what a block covers); :mod:`.access` who may read, change
and draw what; :mod:`.render` draws a block from the current data; :mod:`.document` writes a
story as HTML or PDF; :mod:`.store` saves, publishes and opens stories; :mod:`.add` adds a block
from a page.
"""
