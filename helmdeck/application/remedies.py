"""Chart remedies: unified diffs an application applies to a chart it deploys.

Some upstream charts cannot express what a site needs (openstack-helm's ovn controller
DaemonSet ignores ``pod.tolerations.ovn_controller``, so ovn-controller never runs on
tainted computes). The application file declares, per chart, diffs that helmdeck applies to
its staged copy of the chart (never to the checkout)::

    charts:
      - name: ovn
        patches:
          - patches/ovn-controller-tolerations.diff         # relative to the application file
          - file: package:patches/other.diff                # shipped with helmdeck
            versions: ["2025.*", "2026.*"]                  # only for these chart versions

A path is relative to the application file's directory, falling back to helmdeck's packaged
application directory (so a copy of the packaged application, or any ``--app`` file, can
name the shipped remedies); ``package:`` takes it from the package only. ``versions`` are
shell-style patterns matched against the chart's ``version``: a chart whose version matches
none is left as it is (another chart of that name, such as the example charts, or a release
that fixed it). A patch that is meant for the chart must apply cleanly: it is checked hunk by
hunk when the chart is staged (``helmdeck.diffs``), and a patch that does not fit stops
everything that reads the chart, naming the patch and the hunk.

A patched chart's version gets ``+patched.<digest>`` (build metadata), so its identity, and
``plan``, change with the patches; ``plan`` and ``explain`` name them.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from helmdeck.diffs import parse_diff
from helmdeck.errors import UserError

PACKAGE_PREFIX = "package:"
_KEYS = {"file", "versions"}
# `.Values.a.b.c` (also `$envAll.Values...`, `$.Values...`) in a template line.
_VALUES_REF = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")


@dataclass(frozen=True)
class ChartPatch:
    """One declared remedy: the file as written, its text and the chart versions it is for."""

    file: str
    text: str
    versions: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.file.removeprefix(PACKAGE_PREFIX).rsplit("/", 1)[-1]

    @property
    def digest(self) -> str:
        """The first 12 hex digits of the text's sha256: the patch's identity."""
        return hashlib.sha256(self.text.encode()).hexdigest()[:12]

    @property
    def summary(self) -> str:
        """The first line of the text before the diff (its commit message), if any."""
        for line in self.text.splitlines():
            if line.startswith(("--- ", "diff ", "index ")):
                break
            if line.strip():
                return line.strip()
        return ""

    def applies_to(self, version: str) -> bool:
        """Whether a chart of this version gets the patch (every version without patterns)."""
        return not self.versions or any(fnmatch.fnmatchcase(version, v) for v in self.versions)

    def reads(self) -> frozenset[str]:
        """The value paths the lines it adds read (``.Values.pod.tolerations.x`` ->
        ``pod.tolerations.x``): what ``explain`` relates to the patch."""
        out: set[str] = set()
        for line in self.text.splitlines():
            if line.startswith("+") and not line.startswith("+++ "):
                out.update(m.group(1)[1:] for m in _VALUES_REF.finditer(line))
        return frozenset(out)

    def label(self) -> str:
        """``name (digest)``, as plan and explain show it."""
        return f"{self.name} ({self.digest})"


def _package_dir() -> Traversable:
    return resources.files("helmdeck.application")


def parse_patches(raw: Any, where: str, base: Path | Traversable | None) -> tuple[
    ChartPatch, ...
]:
    """A chart's ``patches:`` (a list of files, or of ``{file, versions}``), read and checked
    as unified diffs. ``base`` is the application file's directory (None: the package's)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise UserError(f"{where}: must be a list of diff files (relative to the application "
                        "file, or package:<path>)")
    out = []
    for i, entry in enumerate(raw):
        at = f"{where}[{i}]"
        versions: tuple[str, ...] = ()
        if isinstance(entry, dict):
            extra = sorted(set(entry) - _KEYS)
            if extra:
                raise UserError(f"{at}: unknown key {', '.join(map(str, extra))}; allowed: "
                                f"{', '.join(sorted(_KEYS))}")
            file, raw_versions = entry.get("file"), entry.get("versions")
            if raw_versions is not None:
                if not isinstance(raw_versions, list) or not raw_versions or not all(
                        isinstance(v, str) and v for v in raw_versions):
                    raise UserError(f"{at}.versions: must be a non-empty list of version "
                                    "patterns such as \"2025.*\"")
                versions = tuple(raw_versions)
        else:
            file = entry
        if not isinstance(file, str) or not file.strip():
            raise UserError(f"{at}: expected the path of a diff file, or {{file: PATH}}")
        text = _read(file, at, base)
        parse_diff(f"{at} ({file})", text)
        out.append(ChartPatch(file, text, versions))
    names = [p.file for p in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UserError(f"{where}: {dupes[0]} is listed twice")
    return tuple(out)


def _read(file: str, where: str, base: Path | Traversable | None) -> str:
    """The text of ``file``: next to the application file, else (a copy of the packaged
    application names the shipped diffs) in the package; ``package:`` only the package."""
    rel = file.removeprefix(PACKAGE_PREFIX)
    if rel.startswith("/") or ".." in Path(rel).parts:
        raise UserError(f"{where}: {file}: must be a relative path inside the application's "
                        "directory (or package:<path>)")
    roots: list[Path | Traversable] = [] if file.startswith(PACKAGE_PREFIX) or base is None \
        else [base]
    roots.append(_package_dir())
    for root in roots:
        target = root.joinpath(*Path(rel).parts)
        if not target.is_file():
            continue
        try:
            return target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{where}: {file}: cannot read it: {exc}") from None
    raise UserError(f"{where}: {file}: no such file next to the application file, nor among "
                    "helmdeck's packaged remedies")
