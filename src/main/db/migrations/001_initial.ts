// The first schema. Times are integer milliseconds since the epoch (UTC).
//
// Campaign-ready by design: a `messages` row is either a finished message (relay and
// test mail: raw bytes inline or in a spool file) or, for a campaign, the template the
// dispatcher renders per recipient. A delivery then points at that message and at the
// contact it is for, so a campaign to 50,000 people stores one message, not 50,000.
export const sql = `
CREATE TABLE messages (
  id            INTEGER PRIMARY KEY,
  source        TEXT    NOT NULL CHECK (source IN ('relay', 'campaign', 'test')),
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
  created_at    INTEGER NOT NULL,
  CHECK (source = 'campaign' OR body IS NOT NULL OR spool_path IS NOT NULL)
);
CREATE INDEX messages_created ON messages (created_at);
CREATE INDEX messages_message_id ON messages (message_id);

CREATE TABLE deliveries (
  id              INTEGER PRIMARY KEY,
  message_id      INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  contact_id      INTEGER,                    -- campaign deliveries: who to render for
  recipient       TEXT    NOT NULL,
  domain          TEXT    NOT NULL,
  route           TEXT,
  status          TEXT    NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued','sending','deferred','delivered','bounced','cancelled','unknown')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_until     INTEGER,
  last_code       INTEGER,
  last_enhanced   TEXT,
  last_response   TEXT,
  category        TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_message ON deliveries (message_id);
CREATE INDEX deliveries_domain ON deliveries (domain);

CREATE TABLE delivery_events (
  id           INTEGER PRIMARY KEY,
  delivery_id  INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  at           INTEGER NOT NULL,
  kind         TEXT    NOT NULL,              -- queued, attempt, delivered, deferred, bounced, ...
  route        TEXT,
  remote_host  TEXT,
  tls          INTEGER,
  code         INTEGER,
  enhanced     TEXT,
  response     TEXT,
  detail       TEXT
);
CREATE INDEX delivery_events_delivery ON delivery_events (delivery_id, at);

CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,                   -- JSON
  updated_at INTEGER NOT NULL
);

CREATE TABLE sending_domains (
  domain     TEXT PRIMARY KEY COLLATE NOCASE,
  created_at INTEGER NOT NULL
);

-- Facts about this data folder that are not user settings (install id, ...).
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('install_id', lower(hex(randomblob(16))));
`;
