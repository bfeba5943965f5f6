"""geo-tenglong: land analysis for Zhejiang's 腾笼换鸟、凤凰涅槃 manufacturing campaign.

The package reads a county workspace (parcels, buildings, enterprise tables, contracts, rasters,
三区三线 layers), applies the county's ruleset rule by rule, and writes findings, lists, reports
and web maps. Data flows one way: ``io`` → ``analysis`` → findings → ``report`` / ``webmap``.
"""

__version__ = "0.1.0"
