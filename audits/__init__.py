"""Independent audits (issue 14): engagements, evidence requests, workpapers, findings, attestations."""
