"""The two background workers of the service: inbox -> dialogue, outbox -> providers.

See ``inbox`` and ``outbox``; ``wakeup``, ``batching`` and ``apology`` are
their parts.
"""

from .apology import apologise, apology, where
from .batching import Batcher
from .inbox import InboxWorker
from .outbox import LOOKUP_TRIES, OutboxWorker
from .wakeup import WAKEUP, Wakeup

__all__ = ["LOOKUP_TRIES", "WAKEUP", "Batcher", "InboxWorker",
           "OutboxWorker", "Wakeup", "apologise", "apology", "where"]
