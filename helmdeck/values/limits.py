"""How much input helmdeck accepts in one piece, and the one-line refusal when it is more.

Every values input (a values file or ``--values`` source, a document sent to the REST API,
``--set*`` expressions, the files behind ``--set-file``) and every YAML file helmdeck reads
(``site.yaml``, the application file) is held to these limits, so that no input can hang
helmdeck or exhaust its memory, and no recursive walk over a tree (merging, redaction,
secret-path matching) can overflow Python's stack:

============================  ===========  ============================================
limit                         value        what is counted
============================  ===========  ============================================
``MAX_DOCUMENT_BYTES``        4 MiB        bytes of one file or document (read at most
                                           this plus one byte, so ``/dev/zero`` is refused
                                           at once)
``MAX_DOCUMENTS``             1,000        YAML documents (``---``) in one values file
``MAX_SET_EXPRESSIONS``       1,000        ``--set``, ``--set-string``, ``--set-json``,
                                           ``--set-file`` and ``--set-literal``
                                           expressions together, in one command or request
``MAX_VALUES_SOURCES``        100          values files in one command or request
``MAX_NODES``                 200,000      nodes of one document: every map key, map
                                           value and list item (about 100,000 keys with
                                           their values), after YAML aliases are expanded
``MAX_DEPTH``                 100          levels of nesting of maps and lists (a
                                           top-level key is at level 1)
``MAX_KEY_CHARS``             1,024        characters of one map key
``MAX_STRING_CHARS``          1 MiB        characters of one string value (Kubernetes
                                           refuses larger ConfigMaps and Secrets anyway)
============================  ===========  ============================================

Depth is checked while a document is read, before anything recursive sees it: the YAML
decoder checks its own stack, the JSON reader scans the text's brackets first, the ``--set``
parser counts its levels, and the site loader checks the events before composing nodes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from helmdeck.values.errors import ValuesError

MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
MAX_DOCUMENTS = 1_000
MAX_SET_EXPRESSIONS = 1_000
MAX_VALUES_SOURCES = 100
MAX_NODES = 200_000
MAX_DEPTH = 100
MAX_KEY_CHARS = 1_024
MAX_STRING_CHARS = 1024 * 1024


def name_input(flag: str, text: str) -> str:
    """How a refusal names an input that may be huge: the flag and the text's beginning."""
    return f"{flag} {text[:40]!r}" + ("..." if len(text) > 40 else "")


def too_large(source: str, size: int) -> ValuesError:
    """The refusal of a file or document over ``MAX_DOCUMENT_BYTES``."""
    return ValuesError(
        f"{source}: larger than {MAX_DOCUMENT_BYTES} bytes ({size} or more); "
        "split it or drop what the chart does not need"
    )


def read_bytes(path: str | Path) -> bytes:
    """The content of the file at ``path``, refused beyond ``MAX_DOCUMENT_BYTES``.

    Reads at most one byte more than the limit, so a device or a growing file is refused
    at once instead of read to the end. ``OSError`` is left to the caller to word.
    """
    with open(path, "rb") as f:
        data = f.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise too_large(str(path), len(data))
    return data


def too_deep(source: str) -> ValuesError:
    """The refusal of nesting beyond ``MAX_DEPTH``."""
    return ValuesError(
        f"{source}: nested deeper than {MAX_DEPTH} levels of maps and lists; flatten it"
    )


def too_many_nodes(source: str) -> ValuesError:
    """The refusal of a document (or inputs together) over ``MAX_NODES`` nodes."""
    return ValuesError(
        f"{source}: more than {MAX_NODES} keys, values and list items in all (aliases "
        "expanded); split the values or drop what the chart does not need"
    )


def check_count(what: str, count: int, limit: int) -> None:
    """Refuse ``count`` items of ``what`` (e.g. "--set expressions") when over ``limit``."""
    if count > limit:
        raise ValuesError(f"{count} {what}: at most {limit} are accepted at once; "
                          "put the values in a values file instead")


def check_document_text(source: str, text: str) -> None:
    """Refuse a document given as text (REST, already read) over ``MAX_DOCUMENT_BYTES``.

    Characters are counted first, so the common case costs no encoding: a text is at most
    four bytes per character.
    """
    if len(text) * 4 > MAX_DOCUMENT_BYTES:
        size = len(text.encode("utf-8", errors="surrogatepass"))
        if size > MAX_DOCUMENT_BYTES:
            raise too_large(source, size)


def check_key(source: str, key: str) -> None:
    """Refuse a map key over ``MAX_KEY_CHARS``."""
    if len(key) > MAX_KEY_CHARS:
        raise ValuesError(f"{source}: a key of {len(key)} characters (starting "
                          f"{key[:20]!r}); keys may have at most {MAX_KEY_CHARS}")


def check_string(source: str, value: str) -> None:
    """Refuse a string value over ``MAX_STRING_CHARS``."""
    if len(value) > MAX_STRING_CHARS:
        raise ValuesError(f"{source}: a string of {len(value)} characters (starting "
                          f"{value[:20]!r}); strings may have at most {MAX_STRING_CHARS}")


def check_tree(source: str, tree: Any, level: int = 0) -> int:
    """Refuse a tree that breaks a limit above; return its nodes (keys, values, items).

    ``level`` is the level ``tree`` itself sits at (0 for a whole document). Iterative, so
    it is safe on a tree of any depth: use it on trees built by code that does not count as
    it goes (the JSON reader's).
    """
    nodes = 0
    for node_level, key, value in _walk(tree, level):
        nodes += 1 if key is None else 2
        if nodes > MAX_NODES:
            raise too_many_nodes(source)
        if node_level > MAX_DEPTH:
            raise too_deep(source)
        if key is not None:
            check_key(source, key)
        if type(value) is str:
            check_string(source, value)
    return nodes


class NodeBudget:
    """The nodes one merge of inputs may still create, shared by all of its files and
    expressions: each input within its own limits, a hundred of them could still add up to
    more than one document may hold."""

    def __init__(self, nodes: int = MAX_NODES) -> None:
        self.left = nodes

    def spend(self, source: str, nodes: int) -> None:
        """Take ``nodes`` from the budget; refuse ``source`` when that overdraws it."""
        self.left -= nodes
        if self.left < 0:
            raise too_many_nodes(source)


def _walk(tree: Any, level: int) -> Iterator[tuple[int, str | None, Any]]:
    """(level, map key or None, value) for every value below ``tree``, depth first."""
    stack: list[tuple[int, Any]] = [(level, tree)]
    while stack:
        level, node = stack.pop()
        if type(node) is dict:
            for key, value in node.items():
                yield level + 1, key, value
                stack.append((level + 1, value))
        elif type(node) is list:
            for value in node:
                yield level + 1, None, value
                stack.append((level + 1, value))
