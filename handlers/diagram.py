"""``handlers/flow.mmd``, drawn from the declaration in ``handlers/flow.py``.

``python -m handlers.diagram`` rewrites the file; a test fails when it is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .flow import ANYWHERE, FIRST, STEPS, TRANSITIONS

PATH = Path(__file__).with_name("flow.mmd")
HEADER = """\
%% casecheck dialogue: steps (state.step) and what each awaits (console "awaiting").
%% Generated from handlers/flow.py (STEPS, FIRST, ANYWHERE, TRANSITIONS) by
%% `python -m handlers.diagram`: do not edit by hand.
%% Before any step, in order (flow.INTERCEPTORS): MORE, media, unreadable text,
%% a live handoff to staff, a campaign YES, STOP/START/HELP/wrong number, size,
%% a deep-link code, a first message, empty text, MENU and /commands. Free text
%% anywhere -> ctx.understanding.understand -> clarify.decide: act, ask which (clarify), or
%% confirm a stop. A new person's first text is answered the same way, after the
%% welcome line. A conversation idle past [dialogue] idle_timeout_hours starts
%% again from the menu."""


def render() -> str:
    lines = [HEADER, "stateDiagram-v2"]
    lines += [f"    [*] --> {step}: {label}" for step, label in FIRST.items()]
    lines += [f'    state "{step} [{spec.awaiting or "none"}]" as {step}'
              for step, spec in STEPS.items()]
    lines += [f"    menu --> {step}: {label} (any step)" for step, label in ANYWHERE.items()]
    lines += [f"    {before} --> {after}: {label}"
              for before, edges in TRANSITIONS.items() for after, label in edges.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    PATH.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {PATH}\n")
