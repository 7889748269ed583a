"""API routers; each module exports ``router`` and is included by :func:`create_app`."""
