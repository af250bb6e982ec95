"""Fictional data for trying and measuring Pledgeproof: the demo world (seed_demo, otp_code), reports
at scale (seed_scale), and report_walk, which the test builders and benchmarks share.

An app of its own, above the domain: it writes only through the services of `commitments` and
`reports` (publishing included), and nothing in them imports it.
"""
