"""Partner dashboards, programme indicators, exports and the impact report."""
