"""The HTTP API (FastAPI). Nothing outside `mhc.api` and `functions/lookup` imports FastAPI."""

from mhc.api.app import create_app

__all__ = ["create_app"]
