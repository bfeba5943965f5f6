"""Data files shipped with the package (the declared results schema)."""
