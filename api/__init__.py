"""The FastAPI service and the ``aralrisk`` command line."""
