"""Application services: the use cases of the platform, each owning its unit of work.

Services take a session factory and open their own transactions; the web and CLI layers call
them with an :class:`~microcred.services.actor.Actor` and map their errors to HTTP or exit codes.
"""
