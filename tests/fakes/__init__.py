"""Local fakes of external providers (Twilio, Telegram): aiohttp servers on 127.0.0.1,
port 0, spoken to by the real client libraries."""
