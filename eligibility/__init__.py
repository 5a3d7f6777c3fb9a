"""Households and eligibility: versioned income rule sets, the decision engine, EPCI validation
and batch checks.

Built by the eligibility issue. The territory it relies on (the 3 EPCI and 34 communes of
Martinique) is already loaded by the foundation, in ``core.territory``, because organisations
and sites need communes too.
"""
