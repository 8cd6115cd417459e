"""The HTTP API (docs/http.md): the same use cases over HTTP and JSON, for hosts not in Python."""
