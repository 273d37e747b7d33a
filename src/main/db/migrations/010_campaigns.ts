// Campaigns: a newsletter sent to lists and segments, riding the same delivery queue as
// relayed mail (one dispatcher, one delivery log, one set of retry rules and caps).
//
// - `campaigns` holds the editable draft and the state machine
//   (draft → scheduled → sending ⇄ paused → finished | cancelled).
// - At launch the content is frozen into a `campaign_versions` row (JSON, see
//   frozenVersionSchema in shared/domain/campaigns.ts) with one `messages` row
//   (source 'campaign', no body) that every recipient's delivery points at. Later edits
//   of the draft never change a version.
// - One delivery per recipient: `deliveries.contact_id` says who to render for and
//   `deliveries.merge` holds the merge values frozen at launch (JSON, only the fields the
//   version uses). Nothing rendered is stored: the dispatcher renders and signs each
//   recipient's copy from the version when it is due. The unique index below is what
//   makes a resumed launch unable to create a second row for a contact.
// - The launch walks the audience in contact-id order in short transactions, each one
//   committing its deliveries and `launch_cursor` (the last contact *looked at*), so a
//   crash resumes where it stopped.
// - Attachments are stored once by content (`campaign_files`), so a version keeps
//   pointing at the exact bytes it froze even after the draft's attachments change.
export const sql = `
CREATE TABLE campaigns (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  name           TEXT    NOT NULL,
  state          TEXT    NOT NULL DEFAULT 'draft'
                 CHECK (state IN ('draft', 'scheduled', 'sending', 'paused', 'finished', 'cancelled')),
  from_name      TEXT    NOT NULL DEFAULT '',
  from_address   TEXT    NOT NULL DEFAULT '',
  reply_to       TEXT    NOT NULL DEFAULT '',
  subject        TEXT    NOT NULL DEFAULT '',
  preheader      TEXT    NOT NULL DEFAULT '',
  html           TEXT    NOT NULL DEFAULT '',
  text           TEXT    NOT NULL DEFAULT '',   -- plain-text part; '' = made from the HTML at launch
  text_edited_at INTEGER,                       -- the plain text was last edited by hand
  html_changed_at INTEGER,                      -- the HTML was last changed
  list_ids       TEXT    NOT NULL DEFAULT '[]', -- JSON array of list ids
  segment_ids    TEXT    NOT NULL DEFAULT '[]', -- JSON array of segment ids
  -- Schedule: the wall time and zone the user chose, and the UTC instant they mean.
  schedule_local TEXT,                          -- 'YYYY-MM-DDTHH:MM'
  schedule_zone  TEXT,                          -- IANA zone, e.g. Europe/Paris
  schedule_at    INTEGER,                       -- ms since the epoch (UTC)
  version_id     INTEGER,                       -- the frozen version being sent (campaign_versions.id)
  launch_cursor  INTEGER NOT NULL DEFAULT 0,    -- last contact id looked at by the launch
  launched_at    INTEGER,                       -- every recipient row exists (the launch finished)
  finished_at    INTEGER,
  edited_at      INTEGER NOT NULL,              -- content last changed
  tested_at      INTEGER,                       -- last test send
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);
CREATE INDEX campaigns_state ON campaigns (state);

CREATE TABLE campaign_versions (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  message_id  INTEGER NOT NULL UNIQUE REFERENCES messages (id),
  content     TEXT    NOT NULL,                 -- JSON: frozenVersionSchema
  created_at  INTEGER NOT NULL
);
CREATE INDEX campaign_versions_campaign ON campaign_versions (campaign_id);

-- Attachment bytes, once per content.
CREATE TABLE campaign_files (
  sha256     TEXT    PRIMARY KEY,               -- hex
  size       INTEGER NOT NULL,
  content    BLOB    NOT NULL,
  created_at INTEGER NOT NULL
);

-- The draft's attachments, in order. An inline image has a content id (cid:) the HTML refers to.
CREATE TABLE campaign_attachments (
  campaign_id  INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  position     INTEGER NOT NULL,
  filename     TEXT    NOT NULL,
  content_type TEXT    NOT NULL,
  sha256       TEXT    NOT NULL REFERENCES campaign_files (sha256),
  cid          TEXT,
  PRIMARY KEY (campaign_id, position)
) WITHOUT ROWID;

-- Campaign deliveries: merge values frozen at launch, and a mark for deliveries the
-- queue gave up on (lifetime over), which "retry failed" may re-arm.
ALTER TABLE deliveries ADD COLUMN merge TEXT;
ALTER TABLE deliveries ADD COLUMN expired INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX deliveries_campaign_contact ON deliveries (message_id, contact_id) WHERE contact_id IS NOT NULL;
`;
