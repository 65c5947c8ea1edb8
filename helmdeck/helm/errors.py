"""The one place Helm's errors become helmdeck's.

Every call into helm-python-sdk goes through ``helm_call``, which maps Helm's exception
classes to helmdeck's error types and Helm's multi-line messages to one line, the way httpx
maps its transport errors in one function: callers never catch ``HelmError`` themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import helm_python

from helmdeck.errors import ClusterError, NotFoundError, UserError

T = TypeVar("T")


class RenderError(UserError):
    """A chart failed to render with the given values (Helm's own message is kept)."""


def one_line(exc: BaseException) -> str:
    """Helm's message with its line breaks and indentation folded to single spaces."""
    return " ".join(str(exc).split())


def map_error(exc: helm_python.HelmError, what: str) -> UserError:
    """``what: <Helm's message>`` as the helmdeck error matching Helm's error class."""
    text = f"{what}: {one_line(exc)}"
    if isinstance(exc, helm_python.HelmNotFoundError):
        return NotFoundError(text)
    if isinstance(exc, helm_python.HelmKubeError):
        return ClusterError(text)
    if isinstance(exc, helm_python.HelmRenderError):
        return RenderError(text)
    return UserError(text)


@contextmanager
def helm_errors(what: str, *, as_type: type[UserError] | None = None) -> Iterator[None]:
    """Run a block of Helm calls; a ``HelmError`` leaves as one helmdeck error naming ``what``.

    ``as_type`` forces the class (a render failure is a ``RenderError`` whatever Helm
    classified it as), so callers can tell render problems from everything else.
    """
    try:
        yield
    except helm_python.HelmError as exc:
        mapped = map_error(exc, what)
        if as_type is not None and not isinstance(mapped, as_type):
            mapped = as_type(str(mapped))
        raise mapped from None


def helm_call(what: str, fn: Callable[[], T]) -> T:
    """``fn()`` with Helm's errors mapped (see ``helm_errors``)."""
    with helm_errors(what):
        return fn()
