"""The typed requests of the override service, shared by the CLI, the REST routes and the
remote client, so every input is spelt once.

They are pydantic models because the REST API receives them as JSON bodies as they are
(unknown fields refused, so a typo is not silently ignored) and the remote client sends
them with ``model_dump``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Flag = Literal["reuse", "reset"]
# What the next ``apply`` must apply again even if nothing changed (StarlingX's --reapply and
# --reapply-all): the chart, or every enabled chart of the application.
Reapply = Literal["chart", "application"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ValuesInput(_Strict):
    """Value documents and ``--set`` expressions, merged in Helm's order."""

    files: list[str] = Field(default_factory=list, description="YAML documents, in order")
    set: list[str] = Field(default_factory=list)
    set_string: list[str] = Field(default_factory=list)
    set_json: list[str] = Field(default_factory=list)


class UpdateRequest(_Strict):
    """A change of a chart's user overrides.

    ``reset`` (the default, as in StarlingX) replaces the stored overrides with the inputs,
    ``reuse`` merges the inputs into them with Helm's value-file merge. ``reapply`` marks the
    chart (or the whole application) for the next ``apply``, even if the values are unchanged.
    """

    flag: Flag = "reset"
    values: ValuesInput = Field(default_factory=ValuesInput)
    force: bool = Field(default=False, description="skip the cross-chart consistency check "
                        "and the placement check (a workload left with no node to run on)")
    render_check: bool = Field(default=False,
                               description="refuse values the chart no longer renders")
    reapply: Reapply | None = Field(
        default=None, description="mark the chart, or every chart of the application, for "
                                  "the next apply even if nothing changed")

    @classmethod
    def of(cls, *, flag: Flag = "reset", files: Sequence[str] = (), set: Sequence[str] = (),
           set_string: Sequence[str] = (), set_json: Sequence[str] = (), force: bool = False,
           render_check: bool = False, reapply: Reapply | None = None) -> UpdateRequest:
        """The request for these inputs, spelt as the CLI's flags are."""
        values = ValuesInput(files=list(files), set=list(set), set_string=list(set_string),
                             set_json=list(set_json))
        return cls(flag=flag, values=values, force=force, render_check=render_check,
                   reapply=reapply)

    @property
    def has_values(self) -> bool:
        """Whether any input was given (files or expressions, even ones setting nothing)."""
        v = self.values
        return any((v.files, v.set, v.set_string, v.set_json))
