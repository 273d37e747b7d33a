// Retention (src/main/retention/cleaner.ts): the body of a finished message goes after
// retention.messageBodies, its log rows after retention.logRows.
//
// A removed body keeps the message's header section in `body` (the log's drawer shows
// the headers) and sets body_removed_at. `messages` is not rebuilt to relax its CHECK
// (body or spool_path present): that would copy every stored body, gigabytes on exactly
// the installations that need this, and need as much free disk again while it runs.
export const sql = `
ALTER TABLE messages ADD COLUMN body_removed_at INTEGER;
-- The messages still holding their body, oldest first: what the cleaner looks through.
-- Partial, so it holds only the last weeks plus unfinished mail, and a cleaned message
-- leaves it; the relay pays one small append per message for it.
CREATE INDEX messages_body_kept ON messages (created_at) WHERE body_removed_at IS NULL;
-- Deleting an old message sets bounce_of to NULL in the bounce reports about it (ON
-- DELETE SET NULL). Without an index each deleted message would scan all messages.
CREATE INDEX messages_bounce_of ON messages (bounce_of) WHERE bounce_of IS NOT NULL;
`;
