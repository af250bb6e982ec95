"""OSCAL documents (issue 16): the frameworks, the published reports and the attested audits in the
compliance world's format (NIST OSCAL, JSON).

- catalogs.py: a framework version as an OSCAL catalog;
- components.py: published reports as a component-definition (why not an SSP: see there);
- assessments.py: attested audit engagements as assessment-results;
- documents.py: the files, named and serialised, for `export_oscal`, the open data and the bundle.

Everything here is what the public may read: current publications (restricted evidence by its
hash only) and engagements with a current attestation, with their findings on published items.
The same data always gives the same bytes: identifiers are uuid5 of our own ids, times come from
the data, lists are in a fixed order.
"""
