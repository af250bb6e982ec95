"""Open data under /data/: each period's published reports as CSV and JSON files, with checksums.

dataset.py reads a period's current publications once; exports.py writes the files from it;
views.py serves the index, the files, the JSON Schema and the Atom feed.
"""
