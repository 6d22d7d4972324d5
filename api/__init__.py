"""HTTP API: OGC API - Features for the layers, plus plan and allocation checks."""
