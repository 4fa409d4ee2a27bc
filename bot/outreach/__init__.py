"""Outreach campaigns: reach every affected person once, respectfully, measurably.

- ``campaigns``: create, preview, launch, pause, resume, cancel (shared by the
  CLI and the console).
- ``texts`` and ``discretion``: the default message per language (from the
  catalogs), placeholders, SMS segments and cost, and the check that a text
  never names a drug case, a court or an offence but names the organisation,
  invites a reply and says how to stop.
- ``sender``: sends a campaign at the configured rate per channel, inside
  ``casecheck run`` (``service``) or ``casecheck outreach send``.
- ``replies``: a reply to a campaign message continues in the dialogue with
  the campaign known; YES starts the lookup.

Campaign messages do NOT go through the shared outbox, though they leave
through the same provider per channel (``providers`` wraps the channels'
``twilio_provider`` and ``telegram_provider``) and the same ``bot.pacing.Pacer``.
The sender keeps its own state per recipient (``outreach_recipients``),
because (1) a campaign row found 'sending' after a crash is reconciled with
the provider and then recorded as sent or sent, with no staff review; (2) the
outbox's rate is shared with dialogue replies and lets a second's worth
through at once, while a campaign must hold an exact rate (the pacer's
absolute slots); and (3) 100,000 outbox rows would sit in front of people's
replies. Replies to a campaign go through the outbox as usual.
"""
