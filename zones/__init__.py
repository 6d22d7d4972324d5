"""Domain core: areas, plan allocation checks and siting rules.

Pure calculations on shapely/geopandas objects. Nothing here knows about HTTP,
HTML or files, so the API, the maps and the CLI all report the same numbers.
"""
