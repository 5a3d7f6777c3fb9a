"""The workshop domain: organisations, sites and locations, collections, devices, storage media,
erasure records, and the device lifecycle with its append-only history."""
