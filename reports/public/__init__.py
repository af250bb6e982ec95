"""The public transparency site: pages anyone can open, built from published snapshots only.

Everything here reads Publication snapshots, never the live rows of a report: what the public
sees is exactly what was published, and nothing of a report that is not. The only live data
read are public facts (frameworks, organisations, commitments, periods) and, for published
reports only, when they were first submitted. Every page runs a fixed number of queries
whatever the number of organisations or items.

The words of a published claim (assurance levels, statuses, verdicts) are commitments.vocabulary's.
What is shared between pages (and with the PDFs, reports/pdf/):

- snapshots.py: reading published snapshots (and each item's assurance level) and finding
  publications (404 when there is none)
- links.py: addresses of published reports and items
- frameworks.py: a framework's tree as groups of reportable items
- summaries.py: counts over published items; headlines.py: a period's headline figures
- changes.py: what differs between two published versions of an item
- pdfs.py: the signed PDFs listed next to published reports

One module per page: matrix.py, organisation.py, report.py, item.py, corrections.py,
methodology.py; views.py renders them.
"""
