"""How Go templates print values, for the few verbs helm-toolkit's endpoint helpers use.

Helm hands templates every number as a float64, so ``printf "%s"`` of a port prints
``%!s(float64=80)`` and ``urlquery`` of a numeric password prints ``1e+06``. Reproducing
that (rather than Python's ``str``) is what makes the computed URLs byte-identical to a render.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

_ATOI = re.compile(r"[+-]?[0-9]+")


def _float(value: float) -> str:
    """``%v`` of a float64: shortest digits, exponent form below 1e-4 or from 1e+06 on."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign, digit_tuple, exponent = Decimal(repr(value)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    assert isinstance(exponent, int)
    point = len(digits) + exponent
    neg = "-" if sign else ""
    exp = point - 1
    if exp < -4 or exp >= 6:
        frac = f".{digits[1:]}" if len(digits) > 1 else ""
        return f"{neg}{digits[0]}{frac}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if point <= 0:
        return f"{neg}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{neg}{digits}{'0' * (point - len(digits))}"
    return f"{neg}{digits[:point]}.{digits[point:]}"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "float64"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    return "string"


def go_v(value: Any) -> str:
    """``fmt.Sprint(value)`` (``print``, ``urlquery``) for scalars."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _float(float(value))
    return str(value)


def go_s(value: Any) -> str:
    """``printf "%s"``: strings as they are, anything else as Go's bad-verb marker."""
    if isinstance(value, str):
        return value
    if value is None:
        return "%!s(<nil>)"
    return f"%!s({_kind(value)}={go_v(value)})"


def go_port(value: Any) -> str:
    """``printf "%1.f"``: a number rounded to an integer; anything else a bad-verb marker."""
    if value is None:
        return "%!f(<nil>)"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{float(value):.0f}"
    return f"%!f({_kind(value)}={go_v(value)})"


def atoi(text: str) -> int:
    """Sprig's ``atoi``: Go's ``strconv.Atoi`` with the error dropped (so 0 on bad input)."""
    return int(text) if _ATOI.fullmatch(text) else 0


def empty(value: Any) -> bool:
    """Sprig's notion of empty, which ``default`` replaces: nil, "", 0, false, {} and []."""
    if value is None or value is False:
        return True
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value == 0
    if isinstance(value, str | dict | list):
        return len(value) == 0
    return False


def default(value: Any, fallback: Any) -> Any:
    """``value | default fallback``."""
    return fallback if empty(value) else value
