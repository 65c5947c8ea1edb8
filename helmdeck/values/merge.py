"""Helm's two ways of combining values.

``merge_values`` is what ``-f a.yaml -f b.yaml`` does (``loader.MergeMaps``): maps deep-merge,
anything else (lists, scalars, null) replaces. ``coalesce`` is what happens when those
overrides meet the chart's ``values.yaml`` (``util.CoalesceValues``): a null override deletes
the default, and a map never replaces a scalar or the other way round.
"""

from __future__ import annotations

from typing import Any

from helmdeck.values import tree


def _merge_into(out: dict[str, Any], override: dict[str, Any]) -> None:
    for key, value in override.items():
        if type(value) is dict:
            current = out.get(key)
            if type(current) is dict:
                merged = dict(current)
                _merge_into(merged, value)
                out[key] = merged
                continue
        out[key] = value


def merge_values(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's ``MergeMaps(base, override)``: override wins, maps merge recursively.

    The inputs are not changed; the result may share unchanged sub-trees with ``override``
    and ``base``, so copy it (``tree.copy``) before changing it in place.
    """
    out = dict(base)
    _merge_into(out, override)
    return out


def _clean_nils(values: dict[str, Any]) -> None:
    for key in [k for k, v in values.items() if v is None]:
        del values[key]
    for value in values.values():
        if type(value) is dict:
            _clean_nils(value)


def _coalesce_tables(dst: dict[str, Any], src: dict[str, Any]) -> None:
    """``coalesceTablesFullKey(dst, src, merge=false)``: dst (overrides) wins over src."""
    src_non_nil = {k for k, v in src.items() if v is not None}
    for key, value in dst.items():
        if value is None:
            src[key] = None
    for key, value in src.items():
        if key not in dst:
            dst[key] = value
            continue
        current = dst[key]
        if current is None and key in src_non_nil:
            del dst[key]
        elif type(value) is dict and type(current) is dict:
            _coalesce_tables(current, value)


def coalesce(defaults: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Helm's ``CoalesceValues`` for a chart without subcharts: what ``.Values`` will be.

    A null in ``overrides`` removes the default key (and is dropped); a null with no default
    stays; nulls in the defaults never show. Inputs are not changed.
    """
    result: dict[str, Any] = tree.copy(overrides)
    chart = tree.copy(defaults)
    for key, default in chart.items():
        if key in result:
            value = result[key]
            if value is None:
                del result[key]
            elif type(value) is dict and type(default) is dict:
                _clean_nils(default)
                _coalesce_tables(value, default)
        elif default is not None:
            if type(default) is dict:
                _clean_nils(default)
            result[key] = default
    return result
