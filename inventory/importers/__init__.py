"""Readers for the reports written by wiping tools, turned into plain Python values.

Pure functions only (no Flask, no database): ``nwipe`` reads the text logs of nwipe and ShredOS,
``generic`` the JSON/CSV report format any wiping station can send. The service layer
(``inventory.services.erasure_import``) matches the drives they describe to storage media.
"""
