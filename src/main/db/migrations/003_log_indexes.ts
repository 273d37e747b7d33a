// Indexes for the delivery log (src/main/queue/log-plan.ts), each one used by a
// query plan there (checked with EXPLAIN QUERY PLAN in bench/log.ts and the tests).
// Every index is one more b-tree the relay and the dispatcher write, so only these:
//
// - Newest/oldest order is the rowid (`id`): no index.
// - A status filter uses the existing deliveries_due (status, next_attempt_at), which
//   also holds the rowid: counting and sorting a status by id never reads the table.
// - A domain filter uses the existing deliveries_domain; (domain) is (domain, rowid) in
//   SQLite, so it also hands rows over newest first.
// - Every index below ends in the rowid too: (created_at) is (created_at, id), which is
//   exactly the keyset order the log pages by.
export const sql = `
-- The "queued between" filter: a date range is one index range. Insert-only and
-- ever-increasing, so new rows append to the right edge (the cheapest index to keep).
CREATE INDEX deliveries_created ON deliveries (created_at);
-- "Recently updated" order. Rewritten on each state change (the dearest of the four).
CREATE INDEX deliveries_updated ON deliveries (updated_at);
-- "Recipient" order, case-insensitive the way people read addresses; the CLI's
-- --recipient lookup (= ... COLLATE NOCASE) uses it too.
CREATE INDEX deliveries_recipient ON deliveries (recipient COLLATE NOCASE);
-- Today's delivered / bounced / deferred counts read only today's outcome events. Partial,
-- so the queued, waiting and retry events (most of the table) are not in it.
CREATE INDEX delivery_events_outcome ON delivery_events (kind, at) WHERE kind IN ('delivered', 'bounced', 'deferred');
-- The text search's message side (sender, Subject, queue id, Message-ID): scanning this
-- reads a few MB instead of the messages table, whose rows carry the message bytes
-- (inline up to 1 MB). created_at first, so each new message appends at the right edge.
CREATE INDEX messages_search ON messages (created_at, mail_from, subject, queue_id, message_id);
`;
