"""What the engine needs of the understanding of free text (``handlers.Understanding``
implements it): ``bot/`` names this, never ``handlers``' class, so no import circle."""

from __future__ import annotations

from typing import Protocol

from .model import Ranked


class Understands(Protocol):
    async def warm(self) -> None:
        """Load (or train and cache) the model before the first message needs it."""
        ...

    def understand(self, text: str) -> Ranked: ...

    def classify(self, text: str) -> str: ...

    def written_in(self, text: str) -> tuple[str | None, float]: ...

    def vocabulary_locale(self, text: str) -> str | None: ...

    def requested_locale(self, text: str) -> str | None: ...
