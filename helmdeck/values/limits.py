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
``MAX_SET_EXPRESSIONS``       1,000        ``--set``, ``--set-string``, ``--set-json``,
                                           ``--set-file`` and ``--set-literal``
                                           expressions together, in one command or request
``MAX_VALUES_SOURCES``        100          values files in one command or request
``MAX_NODES``                 100,000      values in one document: every map entry and
                                           list item, after YAML aliases are expanded
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
from typing import Any

from helmdeck.values.errors import ValuesError

MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
MAX_SET_EXPRESSIONS = 1_000
MAX_VALUES_SOURCES = 100
MAX_NODES = 100_000
MAX_DEPTH = 100
MAX_KEY_CHARS = 1_024
MAX_STRING_CHARS = 1024 * 1024


def too_large(source: str, size: int) -> ValuesError:
    """The refusal of a file or document over ``MAX_DOCUMENT_BYTES``."""
    return ValuesError(
        f"{source}: larger than {MAX_DOCUMENT_BYTES} bytes ({size} or more); "
        "split it or drop what the chart does not need"
    )


def too_deep(source: str) -> ValuesError:
    """The refusal of nesting beyond ``MAX_DEPTH``."""
    return ValuesError(
        f"{source}: nested deeper than {MAX_DEPTH} levels of maps and lists; flatten it"
    )


def too_many_nodes(source: str) -> ValuesError:
    """The refusal of a document with more than ``MAX_NODES`` values."""
    return ValuesError(
        f"{source}: more than {MAX_NODES} values (map entries and list items, aliases "
        "expanded); split it or drop what the chart does not need"
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


def check_tree(source: str, tree: Any, depth: int = 0) -> None:
    """Refuse a tree that breaks any limit above; ``depth`` is the level ``tree`` sits at.

    Iterative, so it is safe on a tree of any depth: use it on trees built by code that
    does not count as it goes (the JSON reader's, the ``--set`` parser's results).
    """
    for nodes, (node_depth, key, value) in enumerate(_walk(tree, depth), 1):
        if nodes > MAX_NODES:
            raise too_many_nodes(source)
        if node_depth > MAX_DEPTH:
            raise too_deep(source)
        if key is not None:
            check_key(source, key)
        if type(value) is str:
            check_string(source, value)


def _walk(tree: Any, depth: int) -> Iterator[tuple[int, str | None, Any]]:
    """(level, map key or None, value) for every value below ``tree``, depth first."""
    stack: list[tuple[int, Any]] = [(depth, tree)]
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
