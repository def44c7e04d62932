"""Designs out as code: ARM templates, Bicep and Terraform written from a scenario.

Qt-free (``outbound-designer export FILE OUT.tf`` runs in a pipeline without Qt). The pieces:

- ``naming``: Azure's naming rules per resource type, valid unique names, identifiers;
- ``deployable``: the scenario as Azure deploys it (implied containers made explicit, a Basic
  design converted to its Standard equivalent);
- ``plan``: names, load balancer parts, pools of identical VMs and the comment at the top;
- ``azure``: the ARM resource model shared by ``arm`` and ``bicep``;
- ``terraform`` (with ``hcl``): the azurerm 4.x configuration;
- ``verdict``: the simulation's verdict in a sentence.

:func:`write_code` is what the exporter registry calls; docs/export-as-code.md is the user's
side of it.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from .plan import CodeOptions, CodePlan, plan

__all__ = ["CodeOptions", "CodePlan", "LANGUAGES", "code_text", "plan", "write_code"]


def _arm(p: CodePlan) -> str:
    from .arm import arm_text
    return arm_text(p)


def _bicep(p: CodePlan) -> str:
    from .bicep import bicep_text
    return bicep_text(p)


def _terraform(p: CodePlan) -> str:
    from .terraform import terraform_text
    return terraform_text(p)


#: file name ending -> (language name, writer)
LANGUAGES: dict[str, tuple[str, Callable[[CodePlan], str]]] = {
    ".arm.json": ("ARM template", _arm),
    ".bicep": ("Bicep", _bicep),
    ".tf": ("Terraform", _terraform),
}


def language_of(path: str | os.PathLike) -> str:
    name = Path(path).name.lower()
    for ending in LANGUAGES:
        if name.endswith(ending):
            return ending
    raise ValueError(f"cannot write code to {Path(path).name!r}: the name must end in "
                     f"{', '.join(LANGUAGES)}")


def code_text(scenario, ending: str, options: CodeOptions | None = None) -> tuple[str, CodePlan]:
    """The code for ``scenario`` in the language of ``ending`` (``.tf``, ...) and its plan."""
    p = plan(scenario, options)
    return LANGUAGES[ending][1](p), p


def write_code(scenario, path: str | os.PathLike, options: CodeOptions | None = None
               ) -> list[str]:
    """Write the code for ``scenario`` to ``path`` (atomically); returns the notes to tell the
    user (conversions, warnings), one line each."""
    from ...model.io import atomic_write_text
    text, p = code_text(scenario, language_of(path), options)
    atomic_write_text(path, text)
    return p.messages
