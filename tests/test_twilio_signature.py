"""The one-HMAC signature check agrees with twilio's own RequestValidator."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from multidict import MultiDict
from twilio.request_validator import RequestValidator

from bot.channels.twilio_signature import TwilioSignature
from tests.fakes.twilio_api import AUTH_TOKEN, PUBLIC_URL, inbound_params

PATH = "/sms/inbound"


def signed(params: MultiDict[str], url: str = PUBLIC_URL + PATH) -> str:
    return RequestValidator(AUTH_TOKEN).compute_signature(url, params)


def test_a_webhook_signed_by_twilio_is_valid() -> None:
    params = MultiDict(inbound_params("+16175551234", "Was my case affected? 🙏"))
    assert TwilioSignature(AUTH_TOKEN, PUBLIC_URL).valid(PATH, "", params, signed(params))


def test_the_query_string_is_signed_too() -> None:
    params = MultiDict(inbound_params("+16175551234", "hi"))
    check = TwilioSignature(AUTH_TOKEN, PUBLIC_URL)
    sig = signed(params, PUBLIC_URL + PATH + "?x=1")
    assert check.valid(PATH, "x=1", params, sig)
    assert not check.valid(PATH, "", params, sig)
    assert not check.valid(PATH, "x=2", params, sig)


def test_either_port_form_is_accepted_as_twilio_does() -> None:
    params = MultiDict(inbound_params("+16175551234", "hi"))
    check = TwilioSignature(AUTH_TOKEN, PUBLIC_URL)
    with_port = PUBLIC_URL.replace(".org", ".org:443") + PATH
    assert check.valid(PATH, "", params, signed(params, with_port))
    explicit = TwilioSignature(AUTH_TOKEN, PUBLIC_URL.replace(".org", ".org:443"))
    assert explicit.valid(PATH, "", params, signed(params))


def test_forged_changed_or_other_path_signatures_fail() -> None:
    params = MultiDict(inbound_params("+16175551234", "hi"))
    check = TwilioSignature(AUTH_TOKEN, PUBLIC_URL)
    sig = signed(params)
    assert not check.valid("/sms/status", "", params, sig)
    assert not check.valid(PATH, "", params, RequestValidator("other").compute_signature(
        PUBLIC_URL + PATH, params))
    changed = params.copy()
    changed["Body"] = "ho"
    assert not check.valid(PATH, "", changed, sig)
    for bad in ("", "x", sig[:-2], sig + "=", "é" * len(sig)):
        assert not check.valid(PATH, "", params, bad)


@given(st.lists(st.tuples(st.text(max_size=8), st.text(max_size=12)), max_size=6))
def test_any_form_agrees_with_twilio(pairs: list[tuple[str, str]]) -> None:
    params = MultiDict(pairs)
    check = TwilioSignature(AUTH_TOKEN, PUBLIC_URL)
    sig = signed(params)
    assert check.valid(PATH, "", params, sig)
    assert RequestValidator(AUTH_TOKEN).validate(PUBLIC_URL + PATH, params, sig)
