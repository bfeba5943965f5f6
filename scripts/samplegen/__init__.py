"""The sample county generator behind ``scripts/make_sample_layers.py``.

Data flow: ``profiles`` (what a county profile holds; the counties are ``tiantai``, ``deqing``,
listed in ``counties``) → ``layout`` / ``roads`` (areas, river, blocks, parcels) → ``planted``
(cases the analyses must tell apart: ``corners``, ``splits`` (and merges), ``roles``, the case
tables in ``cases``) → ``ids`` / ``attributes`` / ``enterprises`` / ``buildings`` / ``contracts``
(the county's records, all on one ``county.County``) → ``constraints`` / ``rasters`` / ``jzd`` /
``tables`` / ``writers`` / ``manifest`` (the files). ``build.build_county`` runs the steps in order,
``build.write_workspace(county, out)`` writes every file of a built county; ``scale`` is the
vectorised ``--parcels N`` mode (no planted cases).

Every step draws from the county's one seeded random stream in a fixed order, so inserting a draw
before an existing one changes the bytes of everything after it: draw for new things after
``build_county`` or from a separate stream seeded from the profile (as ``County.rng_admin`` is).

The later quarters (``quarters``: ``quarters/2023Q3``, ``quarters/2023Q4`` of 天台) are not a
County written again — writing redraws the tables from the main stream — but the previous state's
files read back (``snapshot``), changed by named steps (``evolve``: improve, reclaim, transfer,
split, merge, start works, a new idle parcel, a lagging township, energy drops; ``commitments``:
标准地 committed indicators, plan dates, 留驻 kinds; ``figures``: holders' figures and what must
stay untouched) and written again, with the townships' filled ledger (``ledgerfile``). Their
randomness comes from their own streams, so ``layers/`` keeps its bytes.
"""
