"""The HTTP service: JSON API, standard protocol endpoints and (later) pages."""
