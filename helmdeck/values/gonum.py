"""Numbers as they come out of Go's ``encoding/json`` round trip.

Helm turns every YAML or JSON number into a Go ``float64`` and back, so ``1.0`` becomes ``1``
and a 20-digit integer keeps only the digits a float64 can hold. Matching that here keeps the
values byte-for-byte identical to what Helm's templates see.
"""

from __future__ import annotations

import math
import struct
from decimal import Decimal

_EXACT = 2**53
_INT_LIMIT = 1e21  # Go prints float64 below this without an exponent, so JSON gives an int


def json_number(value: int | float) -> int | float:
    """Return ``value`` as float64 → Go JSON → Python JSON would; ValueError for inf/NaN."""
    if type(value) is int and -_EXACT <= value <= _EXACT:
        return value
    f = float(value)
    if math.isinf(f) or math.isnan(f):
        raise ValueError(f"json: unsupported value: {format_go_float(f)}")
    if f.is_integer() and abs(f) < _INT_LIMIT:
        if abs(f) <= _EXACT:
            return int(f)
        # Go prints the shortest digits that round-trip, padded with zeros.
        return int(Decimal(repr(f)))
    return f


def format_go_float(f: float) -> str:
    """Go's ``%v`` spelling of the special floats, used in error messages."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    return repr(f)


def float32_key(f: float) -> str:
    """``strconv.FormatFloat(f, 'g', -1, 32)`` with YAML's spelling of inf/NaN.

    sigs.k8s.io/yaml stringifies float map keys this way, so ``1.5: x`` becomes ``"1.5"`` and
    ``1e7: x`` becomes ``"1e+07"``.
    """
    if math.isnan(f):
        return ".nan"
    try:
        f32 = struct.unpack("<f", struct.pack("<f", f))[0]
    except OverflowError:
        f32 = math.inf if f > 0 else -math.inf
    if math.isinf(f32):
        return ".inf" if f32 > 0 else "-.inf"
    if f32 == 0:
        return "-0" if math.copysign(1.0, f32) < 0 else "0"
    for prec in range(1, 10):
        text = f"{f32:.{prec - 1}e}"
        if struct.unpack("<f", struct.pack("<f", float(text)))[0] == f32:
            break
    mantissa, exp_text = text.split("e")
    neg = mantissa.startswith("-")
    digits = mantissa.lstrip("-").replace(".", "").rstrip("0") or "0"
    exp = int(exp_text)
    sign = "-" if neg else ""
    if exp < -4 or exp >= 6:
        frac = f".{digits[1:]}" if len(digits) > 1 else ""
        return f"{sign}{digits[0]}{frac}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    point = exp + 1
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"
