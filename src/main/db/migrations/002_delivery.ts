// Delivery: bounce reports as their own message source, DKIM key metadata, and the
// per-route state the dispatcher keeps (a pause after a failed login, daily counts).
//
// SQLite cannot change a CHECK constraint in place, so `messages` is rebuilt the way
// https://sqlite.org/lang_altertable.html#otheralter describes. That needs foreign
// keys off (dropping the old table would otherwise cascade into deliveries), which
// the migration runner does for migrations marked `foreignKeysOff`.
export const sql = `
CREATE TABLE messages_new (
  id            INTEGER PRIMARY KEY,
  source        TEXT    NOT NULL CHECK (source IN ('relay', 'campaign', 'test', 'bounce')),
  queue_id      TEXT    NOT NULL UNIQUE,
  mail_from     TEXT    NOT NULL,             -- envelope sender; '' is the null sender <>
  body_type     TEXT    NOT NULL DEFAULT '7bit' CHECK (body_type IN ('7bit', '8bitmime')),
  smtputf8      INTEGER NOT NULL DEFAULT 0,   -- the client asked for SMTPUTF8
  auth_user     TEXT,
  client_address TEXT,
  client_helo   TEXT,
  message_id    TEXT,                         -- header Message-ID, for the log
  subject       TEXT,
  header_from   TEXT,
  size          INTEGER NOT NULL DEFAULT 0,
  body          BLOB,                         -- raw RFC 5322 bytes (CRLF) when small
  spool_path    TEXT,                         -- file under spool/ when large
  campaign_id   INTEGER,                      -- campaign messages are rendered at dispatch
  bounce_of     INTEGER REFERENCES messages (id) ON DELETE SET NULL, -- a bounce report: the message it reports on
  created_at    INTEGER NOT NULL,
  CHECK (source = 'campaign' OR body IS NOT NULL OR spool_path IS NOT NULL)
);
INSERT INTO messages_new (id, source, queue_id, mail_from, body_type, smtputf8, auth_user, client_address,
  client_helo, message_id, subject, header_from, size, body, spool_path, campaign_id, created_at)
SELECT id, source, queue_id, mail_from, body_type, smtputf8, auth_user, client_address,
  client_helo, message_id, subject, header_from, size, body, spool_path, campaign_id, created_at FROM messages;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
CREATE INDEX messages_created ON messages (created_at);
CREATE INDEX messages_message_id ON messages (message_id);

-- Deliveries waiting for a lease to run out (sending, unknown) are found by lease.
CREATE INDEX deliveries_lease ON deliveries (status, lease_until);
-- The claim takes waiting deliveries in due order; a partial index gives that order
-- without sorting every due row on each claim.
CREATE INDEX deliveries_waiting ON deliveries (next_attempt_at) WHERE status IN ('queued', 'deferred');

-- DKIM keys: public half and metadata only. The private key is in the secret store
-- under dkim/<domain>/<selector>.
CREATE TABLE dkim_keys (
  domain      TEXT    NOT NULL COLLATE NOCASE,
  selector    TEXT    NOT NULL COLLATE NOCASE,
  algorithm   TEXT    NOT NULL CHECK (algorithm IN ('rsa-2048', 'rsa', 'ed25519')),
  bits        INTEGER,
  public_key  TEXT    NOT NULL,               -- base64 of the DER public key, as in p=
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (domain, selector)
);

-- One row per route while something holds it back: a failed smarthost login.
CREATE TABLE route_pauses (
  route      TEXT    PRIMARY KEY,
  reason     TEXT    NOT NULL,
  code       INTEGER,
  response   TEXT,
  -- A hash of the route's settings (never of the password) when it was paused: when
  -- they change, the dispatcher tries again on its own.
  fingerprint TEXT,
  paused_at  INTEGER NOT NULL
);

-- Recipients handed to each route per local day, for daily caps.
CREATE TABLE route_daily_counts (
  route  TEXT    NOT NULL,
  day    TEXT    NOT NULL,                    -- YYYY-MM-DD in local time
  sent   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (route, day)
);
`;
