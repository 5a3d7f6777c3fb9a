"""Handover: reservations, the solidarity price grid, invoices and credit notes, onboarding workshops."""
