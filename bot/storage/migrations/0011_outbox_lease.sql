-- Outbox rows are claimed by one instance's outbox worker (claimed_by, a random id per
-- worker) until claimed_until (ISO-8601 UTC), renewed while the provider is being
-- called. A starting instance settles a 'sending' row only when its claim is over:
-- the lease expired, or the instance that holds it is gone (its presence lock is
-- free). Rows another live instance is sending are left to it.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
