"""``microcred public-url``: the public URL kept with the data (see ``instance.service``).

Every other server-side command refuses to run when configured with a URL other than the
stored one; this is the deliberate way to change it (say, moving from a trial on a local port
to the real host name). It opens the database itself, without that check.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.orm import Session, sessionmaker

from microcred.crypto.proofs import utc_now
from microcred.errors import MicrocredError
from microcred.instance.service import set_public_url, stored_public_url
from microcred.settings import Settings
from microcred.store.db import make_engine, migrate, session_factory

public_url_app = typer.Typer(
    help="The public URL every stored name is built on (kept with the data).",
    no_args_is_help=True,
)
err = Console(stderr=True, emoji=False)


@contextmanager
def _sessions() -> Iterator[sessionmaker[Session]]:
    try:
        settings = Settings()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.sqlalchemy_url)
    except MicrocredError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from exc
    try:
        migrate(engine)
        yield session_factory(engine)
    finally:
        engine.dispose()


@public_url_app.command("show")
def show() -> None:
    """Print the stored public URL (nothing stored yet: exit 1)."""
    with _sessions() as sessions:
        url = stored_public_url(sessions)
    if url is None:
        err.print("no public URL is stored yet: the first command that opens the data stores it")
        raise typer.Exit(1)
    print(url)


@public_url_app.command("set")
def set_command(
    url: Annotated[str, typer.Argument(help="The new public URL, e.g. https://badges.example.org")],
) -> None:
    """Change the stored public URL. Credentials, DIDs and checkpoints made under the old one
    keep their names: serve the old address too (or re-issue) for them to keep verifying."""
    with _sessions() as sessions:
        try:
            old = stored_public_url(sessions)
            new = set_public_url(sessions, url, utc_now())
        except MicrocredError as exc:
            err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(2) from exc
    print(f"public URL: {new}" + (f" (was {old})" if old and old != new else ""))


def register(app: typer.Typer) -> None:
    app.add_typer(public_url_app, name="public-url")
