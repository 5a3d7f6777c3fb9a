"""One module per use case of the handover: grids, reservations, workshops, invoicing, handover."""
