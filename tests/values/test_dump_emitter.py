"""``dump_yaml`` writes with libyaml's C emitter instead of PyYAML's pure-Python one.

Any value must read back unchanged, and for ordinary text (printable, non-empty keys) the
bytes must be the pure-Python emitter's. Where they differ the C emitter is the right one:
it escapes astral characters and NEL, which the Python emitter writes raw (NEL even reads
back as a space), and writes an empty key as ``''`` rather than ``? ''``.
"""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from helmdeck.values import yamlio
from helmdeck.values.yamlio import dump_yaml, load_values

TRICKY = st.sampled_from(
    ["yes", "on", "0x1F", "1e3", "007", "~", "- a", "a: b", "#x", "'q'", "é ☃", "null", "1_0"]
)


def _values(text: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**53), max_value=2**53),  # beyond: float64, as in Helm
        # Whole floats are left out: Go reads ``4.0e+16`` back as an integer, by design.
        st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
        text,
        TRICKY,
    )
    tree = st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)
        ),
        max_leaves=20,
    )
    return st.dictionaries(text, tree, max_size=5)


ANY_TEXT = st.text(max_size=10)
PRINTABLE = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFFFD,
                  blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\ufeff"),
    min_size=1, max_size=10,
)


class _PyDumper(yamlio._GoResolver, yaml.SafeDumper):
    """The same dumper on PyYAML's pure-Python emitter: the reference output."""


_PyDumper.add_representer(float, yamlio._represent_float)


def test_dump_uses_the_c_emitter() -> None:
    assert issubclass(yamlio._Dumper, yaml.cyaml.CEmitter)


@settings(max_examples=150, deadline=None)
@given(_values(ANY_TEXT))
def test_any_value_reads_back_unchanged(values: dict[str, Any]) -> None:
    assert load_values(dump_yaml(values)) == values


@settings(max_examples=150, deadline=None)
@given(_values(PRINTABLE))
def test_ordinary_text_gives_the_python_emitters_bytes(values: dict[str, Any]) -> None:
    reference = yaml.dump(values, Dumper=_PyDumper, sort_keys=True, default_flow_style=False,
                          allow_unicode=True, width=2**31 - 1)
    assert dump_yaml(values) == reference
