"""The sample county generator behind ``scripts/make_sample_layers.py``.

Data flow: ``profiles`` (what a county looks like) → ``layout`` / ``roads`` (areas, blocks, parcels)
→ ``planted`` (the cases the analyses must tell apart: corners, splits/merges, roles, case tables)
→ ``ids`` / ``attributes`` / ``enterprises`` / ``buildings`` / ``contracts`` (the county's records)
→ ``constraints`` / ``rasters`` / ``jzd`` / ``tables`` / ``writers`` / ``manifest`` (the files).
``build`` runs these in order for one county; ``scale`` is the vectorised ``--parcels N`` mode.

A later sample (e.g. another quarter of the same county) is a function of a built ``County``
followed by the same writers: ``build.build_county`` then ``build.write_workspace``-like steps.
Every module draws from the county's one seeded random stream in a fixed order, so moving or adding
a step changes the bytes of every file after it — add new draws after the existing ones, or from a
separate stream seeded from the profile.
"""
