"""The continuous cadastral map (연속지적도) at the scale of a province or the country: the
published files' shape, a generator of synthetic files in that shape, the streaming importer to a
partitioned GeoParquet dataset, and the Dask engine that computes over it."""
