"""The software version printed in PDF manifests; keep in step with pyproject.toml."""

VERSION = "0.5.0"
