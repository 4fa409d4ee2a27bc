"""What a phone number says about where its owner is: country and time zone.

Campaigns reach people who were deported, so the country of a number decides
the channel of a mixed campaign (WhatsApp abroad, SMS at home), the cost
estimate and the quiet hours. All of it comes from the ``phonenumbers``
library's metadata, never from our own prefix rules. It is imported at the first
number asked about, not with this module: 1.8 MB of a process that may never ask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import phonenumbers

UNKNOWN = "??"  # a number whose country the metadata does not know


def _parse(number: str) -> phonenumbers.PhoneNumber | None:
    import phonenumbers

    try:
        return phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None


def country_of(number: str) -> str:
    """ISO 3166 code of an E.164 number's country ('+2389912345' -> 'CV'), or '??'."""
    import phonenumbers

    parsed = _parse(number)
    region = phonenumbers.region_code_for_number(parsed) if parsed else None
    return region or UNKNOWN


def abroad(number: str, home_region: str) -> bool:
    """Is this a number of another country than ``home_region`` (the organisation's)?"""
    country = country_of(number)
    return country != UNKNOWN and country != home_region.upper()


def time_zone_of(number: str) -> str | None:
    """The number's time zone when its country (or area) has exactly one, else None."""
    from phonenumbers import timezone as phone_timezones

    parsed = _parse(number)
    if parsed is None:
        return None
    zones = [z for z in phone_timezones.time_zones_for_number(parsed) if z != "Etc/Unknown"]
    return zones[0] if len(zones) == 1 else None


def quiet_hours_zone(number: str, home_region: str) -> str | None:
    """The zone for a recipient's quiet hours: their own for a number abroad with a
    single zone; None (the configured [outreach] timezone) for numbers at home."""
    return time_zone_of(number) if abroad(number, home_region) else None
