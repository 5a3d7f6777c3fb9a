"""The documents of a handover, rendered from display-ready dicts (amounts, dates and times already
formatted in French, in Martinique time): the invoice and the credit note, the large-print handover
sheet for the household, the workshop attendance sheet (PDF, reportlab) and the booking's .ics file
(icalendar). Pure rendering: data in, bytes out; no database and no Flask."""
