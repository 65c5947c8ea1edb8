"""The API server's syntax rules for names, labels and port names (apimachinery validation).

A manifest that breaks one of these renders fine and is refused at install time, halfway
through a release; checking them up front costs a regular expression per name.
"""

from __future__ import annotations

import re

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
LABEL_VALUE_MAX = 63
IANA_SVC_NAME_MAX = 15
CRONJOB_NAME_MAX = 52  # the Job controller appends an 11-character suffix

_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?\Z")
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
_SVC_NAME = re.compile(r"[-a-z0-9]+\Z")
_HAS_LETTER = re.compile(r"[a-z]")


def dns1123_label(name: str) -> str | None:
    """Why ``name`` is not a DNS-1123 label (Namespace, container names), or None."""
    if len(name) > DNS1123_LABEL_MAX:
        return f"longer than {DNS1123_LABEL_MAX} characters"
    if not _LABEL.match(name):
        return "not a DNS-1123 label (lower-case letters, digits and '-', starting and " \
               "ending with a letter or digit)"
    return None


def dns1035_label(name: str) -> str | None:
    """Why ``name`` is not a DNS-1035 label (Service names: must also start with a letter)."""
    if len(name) > DNS1123_LABEL_MAX:
        return f"longer than {DNS1123_LABEL_MAX} characters"
    if not _DNS1035.match(name):
        return "not a DNS-1035 label (lower-case letters, digits and '-', starting with a " \
               "letter and ending with a letter or digit)"
    return None


def dns1123_subdomain(name: str) -> str | None:
    """Why ``name`` is not a DNS-1123 subdomain (most object names), or None."""
    if len(name) > DNS1123_SUBDOMAIN_MAX:
        return f"longer than {DNS1123_SUBDOMAIN_MAX} characters"
    if not _SUBDOMAIN.match(name):
        return "not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', starting " \
               "and ending with a letter or digit)"
    return None


def path_segment(name: str) -> str | None:
    """Why ``name`` is not a path segment name (RBAC kinds accept almost anything else)."""
    if name in (".", ".."):
        return f"may not be '{name}'"
    for bad in ("/", "%"):
        if bad in name:
            return f"may not contain '{bad}'"
    return None


def iana_svc_name(name: str) -> str | None:
    """Why ``name`` is not an IANA_SVC_NAME (container and Service port names), or None."""
    if len(name) > IANA_SVC_NAME_MAX:
        return f"longer than {IANA_SVC_NAME_MAX} characters"
    if not _SVC_NAME.match(name):
        return "may contain only lower-case letters, digits and '-'"
    if not _HAS_LETTER.search(name):
        return "must contain at least one letter"
    if name.startswith("-") or name.endswith("-"):
        return "may not begin or end with '-'"
    if "--" in name:
        return "may not contain '--'"
    return None


def label_key(key: str) -> str | None:
    """Why ``key`` is not a label key (``[prefix/]name``), or None."""
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or dns1123_subdomain(prefix) is not None):
        return "the prefix before '/' is not a DNS-1123 subdomain"
    if not name or len(name) > LABEL_VALUE_MAX or not _QUALIFIED_NAME.match(name):
        return "not a qualified name (up to 63 letters, digits, '-', '_' or '.', starting " \
               "and ending with a letter or digit, after an optional DNS prefix and '/')"
    if key.count("/") > 1:
        return "more than one '/'"
    return None


def label_value(value: str) -> str | None:
    """Why ``value`` is not a label value (empty is allowed), or None."""
    if len(value) > LABEL_VALUE_MAX:
        return f"longer than {LABEL_VALUE_MAX} characters"
    if value and not _QUALIFIED_NAME.match(value):
        return "not a label value (letters, digits, '-', '_' or '.', starting and ending " \
               "with a letter or digit)"
    return None
