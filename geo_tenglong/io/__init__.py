"""Input and output: layers, tables, corner-coordinate files, atomic writes."""
