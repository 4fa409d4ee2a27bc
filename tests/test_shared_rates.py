"""A channel's reply rate holds for the deployment, not per instance (issue 13): the
outbox pacers of the instances on one PostgreSQL database share one schedule."""

from __future__ import annotations

import asyncio
from functools import partial

import aiohttp
import pytest

from bot.shared_rates import SharedPacer
from bot.storage import send_rates
from tests import test_postgres_instances as two_instances
from tests.fakes.twilio_api import (
    PUBLIC_URL,
    FakeTwilio,
    inbound_params,
    post_inbound,
)
from tests.test_outreach_instances import JITTER, most_in_a_window

RATE = 10.0
SENDERS = [f"+1617555{n:04d}" for n in range(400, 440)]


def instance(config, fake: FakeTwilio, clock):
    """An instance with its webhook and workers, its SMS replies at ``RATE``."""
    return two_instances.instance(config, fake, clock, **{"sms.rate_per_second": RATE})


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_two_pacers_on_one_database_share_the_rate(engine_db):
    clock = Clock()
    one, two = (SharedPacer(RATE, partial(send_rates.update, engine_db, "outbox:sms"),
                            burst=1.0, clock=clock) for _ in range(2))
    starts: list[float] = []
    for step in range(60):  # each asks for more than the rate, every 0.1 s
        for pacer in (one, two):
            starts += [clock.now] * await pacer.take_up_to(int(RATE))
        clock.now += 0.1
        if step == 30:  # a pause: then a second's worth at once, not two
            clock.now += 5.0
    assert most_in_a_window(starts, 1.0) == RATE  # together, never above the rate
    first = [t for t in starts if t < 1_800_000_000.0 + 3.05]
    assert 3 * RATE <= len(first) <= 4 * RATE  # the rate for both, not for each
    after_pause = min(t for t in starts if t > 1_800_000_000.0 + 5)
    assert starts.count(after_pause) == RATE  # a second's worth at once, not two
    before = len(starts)
    assert await one.take_up_to(5) == 0 and one.wait_time() > 0
    clock.now += 0.5
    granted = await two.take_up_to(100)
    await two.give_back(granted)  # unused: the other may take them
    assert await one.take_up_to(100) == granted > 0
    assert len(starts) == before


@pytest.mark.parametrize("storage_engine", ["postgresql"], indirect=True)
async def test_a_reply_burst_split_between_two_instances_keeps_the_channel_rate(config, clock):
    async with FakeTwilio() as fake, aiohttp.ClientSession() as session, \
            instance(config, fake, clock) as one, instance(config, fake, clock) as two:

        async def hello(n: int, sender: str) -> None:
            status, _ = await post_inbound(session, (one, two)[n % 2].url, PUBLIC_URL,
                                           inbound_params(sender, "hi"),
                                           auth_token=fake.auth_token)
            assert status == 200

        await asyncio.gather(*(hello(n, s) for n, s in enumerate(SENDERS)))
        await fake.wait_for(len(SENDERS), timeout=30)
    assert sorted(m.to for m in fake.messages) == SENDERS  # each answered, once
    times = [m.at for m in fake.messages]
    # A second's worth goes at once, then a second's worth each second: together, not
    # each. (Per instance, each would send its half of the burst at twice the pace: the
    # span would be half as long, and a 1.5-s window would hold four batches.)
    # Arrival spreads a batch over up to ~0.1 s, and on a loaded machine a late batch
    # may arrive up to half a second behind: a 1.5-s window of arrivals may then see
    # part of a third batch, never four.
    span = times[-1] - times[0]
    assert (len(SENDERS) - RATE) / span <= RATE * 1.05, span
    assert most_in_a_window(times, 1.5) <= 2.5 * RATE + JITTER
