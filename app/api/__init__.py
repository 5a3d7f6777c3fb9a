"""The JSON API (``/api/v1/…``): thin endpoints that parse input, call one service and map
domain errors to HTTP status codes."""
