"""Signed PDF documents and their verification.

The pipeline: documents.py builds a document's HTML and manifest from the contexts in public.py,
audit.py and summary.py; render.py turns it into PDF/A; signing.py signs it; services.py keeps
the result as a ReportArtifact. verification.py answers whether a PDF is one of ours and still
current. views/ holds the pages: documents.py for signed-in users, verify.py for anyone.
"""
