"""CSRF for console forms that are larger than ``core.check_csrf`` allows (20 fields).

The form is parsed once, here, with these limits; Starlette caches it on the request, so the
route's own ``await request.form()`` gets the same object and cannot raise the limits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, Request

from microcred.web.pages.core import get_pages


def csrf_for_form(*, max_fields: int, max_files: int = 1) -> Callable[[Request], Awaitable[None]]:
    async def check(request: Request) -> None:
        form = await request.form(max_files=max_files, max_fields=max_fields)
        get_pages(request).keys.check_csrf(request, form.get("csrf_token"))

    return check


LargeFormCsrf: Any = Depends(csrf_for_form(max_fields=200))
