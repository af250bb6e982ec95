"""Program administration under /program/: the overview of a period for program staff, its CSV
download (exports.py), and the publish and correct pages (the services are reports.services).
"""
