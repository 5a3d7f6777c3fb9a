"""Stocktakes (inventaires): what the records expect in each location, what was counted there,
and how the difference is put right (issue 19)."""
