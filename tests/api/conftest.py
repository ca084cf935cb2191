"""Fixtures of the API tests besides the shared ones (``tests/conftest.py``)."""

from tests.api.unranked import unranked, unranked_root

__all__ = ["unranked", "unranked_root"]
