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

Campaign messages do NOT go through the shared outbox. The sender keeps its
own state per recipient (``outreach_recipients``) and calls the providers
itself (``providers``), because (1) the outbox worker turns a row found
'sending' after a crash into 'unknown' for review, while a campaign must
reconcile it with the provider (Twilio: list the messages to that number) and
then either record it as sent or send it; (2) its token bucket is shared with
dialogue replies and lets a second's worth through at once, while a campaign
must hold an exact rate (an absolute-time pacer); and (3) 100,000 outbox rows
would sit in front of people's replies. Replies to a campaign go through the
outbox as usual.
"""
