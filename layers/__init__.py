"""The hazard, exposure and vulnerability layer catalog, the build pipeline and the sample data set.

Import direction: ``api -> layers -> geo``; this package never imports :mod:`api`.
"""
