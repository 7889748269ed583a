"""Numbers a verifier would read differently from what the issuer meant: refused before signing.

JSON numbers are IEEE doubles for the reference (JavaScript) and for the RDF every proof over
JSON-LD signs, so three kinds of number do not survive the trip:

- integers beyond 2^53 - 1 (I-JSON's safe range): JavaScript reads 9007199254740993 as ...992,
  so 2^53 itself may stand for either; JCS (eddsa-jcs-2022, the transparency log's commitment)
  refuses them;
- doubles that need 17 significant digits: RDF's canonical double keeps 16, so 0.30000000000000004
  signs as 0.3 does (either can replace the other under a valid proof);
- fractions that JavaScript writes without a decimal point (1e-7, 5e-10): jsonld.js takes those
  for integers and signs 1e-7 as "0", where we sign 1.0E-7; the signatures would not agree.

:func:`check_round_trip` walks a credential and names the first such number and where it is.
"""

from __future__ import annotations

import math
from typing import Any

from microcred.errors import ModelError

MAX_SAFE_INTEGER = 2**53 - 1  # JavaScript's Number.MAX_SAFE_INTEGER, I-JSON's bound
_MAX_DEPTH = 256


def check_round_trip(document: Any) -> None:
    """Raises :class:`ModelError` naming a number that would not read back as written."""
    _walk(document, "", 0)


def _walk(node: Any, path: str, depth: int) -> None:
    if depth > _MAX_DEPTH:
        return  # the canonicalizer refuses such depth with its own bound
    if isinstance(node, dict):
        for key, value in node.items():
            _walk(value, f"{path}.{key}" if path else str(key), depth + 1)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _walk(value, f"{path}[{index}]", depth + 1)
    elif isinstance(node, bool):
        return
    elif isinstance(node, int):
        if abs(node) > MAX_SAFE_INTEGER:
            raise ModelError(
                "an integer is too large to be read back exactly (beyond 2^53 - 1)",
                field=path,
                expected=f"an integer of at most {MAX_SAFE_INTEGER} in size, or a string",
                found=str(node),
            )
    elif isinstance(node, float):
        _check_float(node, path)


def _check_float(value: float, path: str) -> None:
    if not math.isfinite(value):
        raise ModelError(
            "a number is not finite", field=path, expected="a finite number", found=str(value)
        )
    if float(f"{value:.15e}") != value:
        raise ModelError(
            "a number needs 17 significant digits, more than a signed double keeps",
            field=path,
            expected="at most 16 significant digits (or the number as a string)",
            found=repr(value),
        )
    if not value.is_integer() and "." not in _javascript_text(value):
        raise ModelError(
            "a fraction that JavaScript writes without a decimal point would be signed as an "
            "integer by other verifiers",
            field=path,
            expected="a fraction of at least 1e-6 or with two significant digits, or a string",
            found=repr(value),
        )


def _javascript_text(value: float) -> str:
    """How JavaScript's String(value) writes a finite double (ECMAScript Number::toString)."""
    digits, exponent = _shortest(abs(value))
    sign = "-" if value < 0 else ""
    k, n = len(digits), exponent
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    power = f"e{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"
    if k == 1:
        return sign + digits + power
    return sign + digits[0] + "." + digits[1:] + power


def _shortest(value: float) -> tuple[str, int]:
    """The shortest decimal digits of ``value`` and n such that value = 0.digits * 10^n."""
    mantissa, _, exponent = f"{value!r}".partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    shift = len(whole) if whole != "0" else -(len(fraction) - len(fraction.lstrip("0")))
    n = shift + int(exponent or 0)
    return digits.rstrip("0") or "0", n
