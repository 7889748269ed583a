"""The runtime the server-side commands share: the one ``MICROCRED_*`` configures.

Each command group reports a refused configuration in its own way (a :class:`MicrocredError`
from the settings or the runtime), so this only builds the runtime and lets errors through.
Private: ``cli.main`` adds the commands of every module here not named with an underscore.
"""

from __future__ import annotations

from microcred.runtime import Runtime
from microcred.settings import Settings


def settings_runtime(public_url: str | None = None) -> Runtime:
    """The runtime of the server configured by ``MICROCRED_*`` (its database, its settings).

    ``public_url`` is where the server is served when ``MICROCRED_PUBLIC_URL`` is not set, so
    that a locally served platform names things where they are; a configured one wins.
    """
    settings = Settings()
    if public_url and "public_url" not in settings.model_fields_set:
        settings = settings.model_copy(update={"public_url": public_url})
    return Runtime(settings)


__all__ = ["settings_runtime"]
