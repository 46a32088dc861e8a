-- 0009: an index for the operator's metrics. /metrics counts the outbox
-- entries that are not sent (in flight or failed) at every scrape: a
-- partial index keeps that to the few such rows instead of a scan of every
-- post ever made.
CREATE INDEX outbox_unsettled ON outbox (state) WHERE state != 'sent';
