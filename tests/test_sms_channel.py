"""The SMS channel end to end: signed webhooks in, the real twilio client out to a fake."""

from __future__ import annotations

import re

from bot.model import Reply
from bot.storage import outbox as outbox_store
from tests.fakes.twilio_api import (
    AUTH_TOKEN,
    PUBLIC_URL,
    FakeTwilio,
    RequestValidator,
    inbound_params,
    post_inbound,
    sms_rig,
)

ALICE = "+16175550123"
# The language menu, numbered ("Reply 1 for English", or "1 English" when many languages).
NUMBERED_ENGLISH = re.compile(r"^(Reply 1 for |1 )English$", re.M)


async def inbox_count(app) -> int:
    row = await app.db.fetchone("SELECT COUNT(*) FROM inbox")
    return row[0]


async def test_first_text_gets_the_greeting_with_a_numbered_menu(config, clock):
    async with sms_rig(config, clock=clock) as rig:
        status, body = await rig.text(ALICE, "hi")
        assert status == 200
        assert body == '<?xml version="1.0" encoding="UTF-8"?><Response/>'
        texts = await rig.wait_texts(ALICE, 1)
        await rig.idle()
    # One SMS: the welcome and a short, numbered language question.
    assert len(texts) == 1
    assert "checks if your case was affected" in texts[0]
    assert NUMBERED_ENGLISH.search(texts[0])
    assert all(m.from_ == "+16175550100" for m in rig.fake.messages)
    assert all(m.status_callback == PUBLIC_URL + "/sms/status" for m in rig.fake.messages)


async def statuses(app, address: str = ALICE) -> list[tuple[str, str | None]]:
    rows = await outbox_store.for_address(app.db, "sms", address)
    return [(r["status"], r["error_code"]) for r in rows]


async def test_delivery_callbacks_mark_replies_delivered(config, clock):
    async with sms_rig(config, clock=clock) as rig:
        await rig.text(ALICE, "hi")
        await rig.wait_texts(ALICE, 1)
        await rig.idle()
        assert await statuses(rig.app) == [("delivered", None)]
        assert set(rig.fake.callback_responses) == {204}


async def test_forged_and_unsigned_webhooks_are_refused_and_store_nothing(config, clock):
    async with sms_rig(config, clock=clock) as rig:
        params = inbound_params(ALICE, "hi")
        forged = RequestValidator("not-the-token").compute_signature(
            PUBLIC_URL + "/sms/inbound", params)
        assert (await post_inbound(rig.session, rig.service.url, PUBLIC_URL, params,
                                   signature=forged))[0] == 403
        assert (await post_inbound(rig.session, rig.service.url, PUBLIC_URL, params,
                                   signature=""))[0] == 403
        # Signed for the address the request really reached, not the public URL.
        assert (await post_inbound(rig.session, rig.service.url, rig.service.url, params))[0] \
            == 403
        # Signed correctly, then a field changed on the way.
        good = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + "/sms/inbound", params)
        tampered = {**params, "Body": "hello"}
        assert (await post_inbound(rig.session, rig.service.url, PUBLIC_URL, tampered,
                                   signature=good))[0] == 403
        await rig.idle(settle=0.1)
        assert await inbox_count(rig.app) == 0
        assert rig.fake.messages == []


async def test_the_same_message_sid_twice_gets_one_answer(config, clock):
    async with sms_rig(config, clock=clock) as rig:
        params = inbound_params(ALICE, "hi", sid="SM" + "a" * 32)
        for _ in range(2):
            status, _body = await post_inbound(rig.session, rig.service.url, PUBLIC_URL, params)
            assert status == 200
        await rig.wait_texts(ALICE, 1)
        await rig.idle()
        assert await inbox_count(rig.app) == 1
        assert len(rig.fake.texts_to(ALICE)) == 1


async def test_unsubscribed_21610_records_an_opt_out_and_is_not_retried(config, clock):
    async with sms_rig(config, clock=clock) as rig:
        rig.fake.fail_next(400, 21610)
        await rig.text(ALICE, "hi")
        await rig.idle()
        clock.advance(hours=1)
        rig.service.wakeup.outbox.set()
        await rig.idle()
        assert rig.fake.attempts == 1
        assert rig.fake.messages == []
        optout = await rig.app.db.fetchone(
            "SELECT reason FROM optouts WHERE channel='sms' AND address=?", (ALICE,))
        assert optout["reason"] == "provider"
        assert await statuses(rig.app) == [("failed", "21610")]


async def test_invalid_number_fails_without_retry(config, clock):
    async with sms_rig(config, clock=clock) as rig:
        rig.fake.fail_next(400, 21211)
        await rig.text(ALICE, "hi")
        await rig.idle()
        assert await statuses(rig.app) == [("failed", "21211")]
        assert rig.fake.attempts == 1
        assert await rig.app.db.fetchone("SELECT 1 FROM optouts") is None


async def test_a_server_error_then_success_delivers_exactly_once(config, clock):
    async with sms_rig(config, clock=clock) as rig:
        rig.fake.fail_next(500)
        rig.fake.fail_next(429, 20429)
        await rig.text(ALICE, "hi")
        await rig.idle()
        first = await outbox_store.for_address(rig.app.db, "sms", ALICE)
        assert [r["status"] for r in first] == ["pending"]  # waiting to retry
        assert rig.fake.messages == []
        for _ in range(2):  # each retry waits its backoff, which the clock skips
            clock.advance(minutes=5)
            rig.service.wakeup.outbox.set()
            await rig.idle()
        assert len(rig.fake.texts_to(ALICE)) == 1
        assert [r["status"] for r in await outbox_store.for_address(
            rig.app.db, "sms", ALICE)] == ["delivered"]
        assert rig.fake.attempts == 3


async def test_replies_to_one_person_leave_in_order(config, clock):
    async with sms_rig(config, clock=clock) as rig:
        rig.fake.fail_next(500)  # the first reply must wait; the second waits behind it
        await rig.text(ALICE, "hi")
        await rig.idle()
        await rig.text(ALICE, "1")  # English: the main menu
        await rig.idle()
        assert rig.fake.messages == []
        clock.advance(minutes=5)
        rig.service.wakeup.outbox.set()
        texts = await rig.wait_texts(ALICE, 2)
    assert "checks if your case" in texts[0] and "What would you like to do?" in texts[1]


async def test_status_callbacks_out_of_order_never_go_backwards(config, clock):
    fake = FakeTwilio(callbacks=["queued", "sending", "sent", "delivered"],
                      shuffle_callbacks=True, repeat_callbacks=3, seed=7)
    async with sms_rig(config, clock=clock, fake=fake) as rig:
        await rig.text(ALICE, "hi")
        await rig.wait_texts(ALICE, 1)
        await rig.idle()
        assert await statuses(rig.app) == [("delivered", None)]
        first = rig.fake.messages[0]
        assert await rig.fake.post_status(first, "sent") == 204
        assert await rig.fake.post_status(first, "undelivered", 30007) == 204
        assert (await statuses(rig.app))[0] == ("delivered", None)


async def test_undelivered_keeps_the_error_code_and_later_sent_changes_nothing(config, clock):
    fake = FakeTwilio(callbacks=[])
    async with sms_rig(config, clock=clock, fake=fake) as rig:
        await rig.text(ALICE, "hi")
        await rig.wait_texts(ALICE, 1)
        await rig.idle()
        first = rig.fake.messages[0]
        await rig.fake.post_status(first, "undelivered", 30007)
        await rig.fake.post_status(first, "sent")
        await rig.fake.post_status(first, "queued")
        assert (await statuses(rig.app))[0] == ("undelivered", "30007")


async def test_a_status_callback_before_our_own_commit_is_kept(config, clock):
    # The callback arrives for a MessageSid the outbox does not know yet.
    async with sms_rig(config, clock=clock) as rig:
        assert await outbox_store.apply_statuses(
            rig.app.db, [("SM_early", "delivered", None)], "2026-01-01T00:00:00+00:00") \
            == ["early"]
        async with rig.app.db.transaction() as conn:
            row_id = await outbox_store.enqueue(conn, "sms", ALICE, Reply("x"), "t")
            await outbox_store.mark_sent(conn, row_id, "SM_early", "t")
        row = await rig.app.db.fetchone("SELECT status FROM outbox WHERE id=?", (row_id,))
        assert row["status"] == "delivered"


async def test_unsigned_status_callback_is_refused(config, clock):
    async with sms_rig(config, clock=clock) as rig:
        async with rig.session.post(rig.service.url + "/sms/status",
                                    data={"MessageSid": "SMx", "MessageStatus": "failed"}) as r:
            assert r.status == 403


async def test_an_interim_status_is_answered_unread_and_changes_nothing(config, clock):
    fake = FakeTwilio(callbacks=[])
    async with sms_rig(config, clock=clock, fake=fake) as rig:
        await rig.text(ALICE, "hi")
        await rig.wait_texts(ALICE, 1)
        await rig.idle()
        sid = rig.fake.messages[0].sid
        # An interim status, even unsigned, is acknowledged and nothing is written.
        async with rig.session.post(rig.service.url + "/sms/status",
                                    data={"MessageSid": sid, "MessageStatus": "queued"}) as r:
            assert r.status == 204
        # Only Twilio's interim statuses are: no status, or an inbound message's
        # "received" posted here, is read in full and refused unsigned.
        for form in ({"MessageSid": sid}, {"MessageSid": sid, "SmsStatus": "received"},
                     {"MessageSid": sid, "MessageStatus": "sent%"}):
            async with rig.session.post(rig.service.url + "/sms/status", data=form) as r:
                assert r.status == 403, form
        assert await statuses(rig.app) == [("sent", None)]
        # The status is read as the whole form would be: MessageStatus before SmsStatus,
        # wherever each stands, and a value with an escape is decoded first.
        signed = {"MessageSid": sid, "SmsStatus": "sent", "MessageStatus": "undelivered",
                  "ErrorCode": "30007"}
        body = f"MessageSid={sid}&SmsStatus=sent&MessageStatus=undeliver%65d&ErrorCode=30007"
        signature = RequestValidator(AUTH_TOKEN).compute_signature(
            PUBLIC_URL + "/sms/status", signed)
        async with rig.session.post(
                rig.service.url + "/sms/status", data=body.encode(),
                headers={"X-Twilio-Signature": signature,
                         "Content-Type": "application/x-www-form-urlencoded"}) as r:
            assert r.status == 204
        assert await statuses(rig.app) == [("undelivered", "30007")]
