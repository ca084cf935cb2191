"""Generic geospatial engine: I/O, grid alignment, zonal statistics, indices, rendering.

Nothing in this package knows about a particular region: it works on any district
file, any raster and any climate series. The region-specific catalog lives in
:mod:`layers`; the HTTP service and command line in :mod:`api`.
"""
