"""Tile rendering: readers of the build's COGs, class colours, PNG encoding, tile cache.

The HTTP side is :mod:`api.routers.tiles`; everything here is plain functions of a
:class:`~layers.result.BuildResult` and a tile, usable without a server (the tile
benchmark calls them directly to measure the render floor).
"""
