"""Building blocks shared by every domain package.

Column types (UTC timestamps), the clock, domain errors, gapless counters, settings and the
territory reference data (EPCI and communes of Martinique). Nothing here imports Flask's
request or any domain package, so inventory, eligibility and later packages can all rely on it
without an import cycle.
"""
