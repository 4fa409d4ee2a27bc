-- MORE pages on the outbox row they belong to (issue 18): what did not fit in the part
-- of a long reply that was sent, written in the same transaction as the send result
-- and taken, in the turn's own transaction, when the person texts MORE. Replaces the
-- address-keyed sms_more table (written after the send, outside that transaction).
ALTER TABLE outbox ADD COLUMN more TEXT;

CREATE INDEX outbox_more ON outbox (channel, address) WHERE more IS NOT NULL;

UPDATE outbox SET more = (SELECT m.body FROM sms_more m WHERE m.address = outbox.address)
 WHERE id IN (SELECT MAX(o.id) FROM outbox o JOIN sms_more m ON m.address = o.address
              WHERE o.channel = 'sms' AND o.provider_id IS NOT NULL GROUP BY o.address);

DROP TABLE sms_more;
