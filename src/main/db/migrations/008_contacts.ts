// Contacts, lists, tags, custom fields, segments, suppressions, consent and imports.
//
// One contact per normalised address (`address_key`: NFC, lowercase local part, lowercase
// A-label domain); the address itself is kept as typed. A contact is on many lists with a
// status per list. Suppression is a separate table keyed by the normalised address, so it
// outlives the contact: deleting a contact (erasure) turns its entry into a hash of the key,
// which still stops a later import from bringing the address back.
//
// Ids of lists, tags, segments and contacts are AUTOINCREMENT: never handed out again after
// a delete, so a saved segment, an import's Undo or a window still showing a deleted row can
// never reach another list or person that happens to get the same number.
//
// Imports are journalled so Undo removes exactly what one added and restores what it changed:
// rows an import created carry its id (contacts, list_members, contact_tags), and each
// contact it changed keeps its previous values in import_changes. Suppressions and per-list
// unsubscribes are never touched by an import nor by its Undo.
export const sql = `
CREATE TABLE lists (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  name        TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  -- A deleted list that had unsubscribes keeps them here (and only them), hidden, so a
  -- list made again with the same name, by hand or by an import, still honours them.
  deleted_at  INTEGER
);

-- Custom fields (merge fields). The key is the merge-field name and never changes; the
-- label is what the window shows and may be renamed. Values live in contacts.fields.
CREATE TABLE contact_fields (
  id          INTEGER PRIMARY KEY,
  key         TEXT    NOT NULL UNIQUE,        -- lowercase letters, digits, _ (e.g. city, customer_since)
  label       TEXT    NOT NULL,
  type        TEXT    NOT NULL CHECK (type IN ('text', 'number', 'date')),
  created_at  INTEGER NOT NULL
);

CREATE TABLE imports (
  id            INTEGER PRIMARY KEY,
  file_name     TEXT    NOT NULL,
  file_sha256   TEXT    NOT NULL,
  file_size     INTEGER NOT NULL,
  -- what the reader found: { format, encoding, delimiter, ... }
  layout        TEXT    NOT NULL,
  mapping       TEXT    NOT NULL,             -- JSON: field -> column position
  options       TEXT    NOT NULL,             -- JSON: list, tags, basis, existing, ...
  counts        TEXT    NOT NULL,             -- JSON: records, blank, added, updated, unchanged, suppressed, ...
  state         TEXT    NOT NULL CHECK (state IN ('committed', 'undone')),
  created_at    INTEGER NOT NULL,
  undone_at     INTEGER
);

-- Every problem row of an import, for the report (and its download).
CREATE TABLE import_problems (
  import_id  INTEGER NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  record     INTEGER NOT NULL,                -- 1-based data record (the header is not a record)
  line       INTEGER NOT NULL,                -- 1-based line in the file where the record starts
  kind       TEXT    NOT NULL CHECK (kind IN ('no-address', 'invalid', 'duplicate', 'malformed', 'warning', 'normalised')),
  value      TEXT,
  reason     TEXT    NOT NULL,
  same_as    INTEGER                          -- duplicate: the record it repeats
);
CREATE INDEX import_problems_import ON import_problems (import_id, record);

CREATE TABLE contacts (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  address       TEXT    NOT NULL,             -- as typed (after shown normalisations)
  address_key   TEXT    NOT NULL UNIQUE,      -- NFC, lowercase local part @ lowercase A-label domain
  first_name    TEXT    NOT NULL DEFAULT '',
  last_name     TEXT    NOT NULL DEFAULT '',
  company       TEXT    NOT NULL DEFAULT '',
  -- Custom field values keyed by contact_fields.key, stored as JSONB (segment counts read
  -- them ~35 % faster than text JSON): numbers as numbers, dates as 'YYYY-MM-DD' text.
  fields        BLOB,
  -- Consent evidence: how this contact was added.
  consent_source TEXT   NOT NULL CHECK (consent_source IN ('manual', 'import')),
  consent_basis  TEXT,                        -- the basis the user chose ("signed up on my website", ...)
  consent_at     INTEGER NOT NULL,            -- when Mailroom recorded it
  -- A provider's own evidence, as the export gave it (Mailchimp OPTIN_TIME/IP, CONFIRM_TIME/IP,
  -- Shopify "Accepts Email Marketing"): JSON, or NULL.
  consent_detail TEXT,
  import_id     INTEGER REFERENCES imports (id) ON DELETE SET NULL, -- the import that added it
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX contacts_import ON contacts (import_id) WHERE import_id IS NOT NULL;
CREATE INDEX contacts_last_name ON contacts (last_name COLLATE NOCASE, first_name COLLATE NOCASE, id);

CREATE TABLE list_members (
  list_id     INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  contact_id  INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  status      TEXT    NOT NULL CHECK (status IN ('subscribed', 'unsubscribed', 'pending')),
  added_at    INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  import_id   INTEGER,                        -- the import that put the contact on this list
  PRIMARY KEY (list_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX list_members_contact ON list_members (contact_id);

CREATE TABLE tags (
  id    INTEGER PRIMARY KEY AUTOINCREMENT,
  name  TEXT    NOT NULL UNIQUE COLLATE NOCASE
);
CREATE TABLE contact_tags (
  contact_id  INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  tag_id      INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  import_id   INTEGER,                        -- the import that added this tag
  PRIMARY KEY (contact_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX contact_tags_tag ON contact_tags (tag_id, contact_id);

-- What an import changed on a contact that already existed: the values before, for Undo.
CREATE TABLE import_changes (
  import_id   INTEGER NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  contact_id  INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  before      TEXT    NOT NULL,               -- JSON: {first_name, last_name, company, fields}
  PRIMARY KEY (import_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX import_changes_contact ON import_changes (contact_id);

-- A saved filter; campaigns send to lists and segments.
CREATE TABLE segments (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  name        TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  definition  TEXT    NOT NULL,               -- JSON, validated by segmentDefinitionSchema
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

-- Nothing is ever sent to an address in here. The key is the contact's address_key, or
-- 'sha256:' + hex SHA-256 of it once the contact was erased (address is then NULL).
-- An import may add rows, never remove or weaken one.
CREATE TABLE suppressions (
  key         TEXT    PRIMARY KEY,
  address     TEXT,
  reason      TEXT    NOT NULL CHECK (reason IN ('unsubscribed', 'bounced', 'complaint', 'manual', 'imported', 'erased')),
  source      TEXT    NOT NULL,               -- a sentence: where it came from
  detail      TEXT,                           -- e.g. the server's words, the provider's reason
  import_id   INTEGER,                        -- the import that brought it (kept after Undo)
  at          INTEGER NOT NULL
);
CREATE INDEX suppressions_at ON suppressions (at, key);

-- Every deliberate change to a suppression (added by hand, removed with a stated reason),
-- kept after the row itself is gone.
CREATE TABLE suppression_events (
  id       INTEGER PRIMARY KEY,
  key      TEXT    NOT NULL,
  action   TEXT    NOT NULL CHECK (action IN ('added', 'removed', 'erased')),
  reason   TEXT    NOT NULL,
  note     TEXT,
  at       INTEGER NOT NULL
);
CREATE INDEX suppression_events_key ON suppression_events (key, at);
`;
