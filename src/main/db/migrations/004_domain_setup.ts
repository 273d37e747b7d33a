// The DNS wizard's progress per sending domain, so a person can close the window
// while DNS changes spread and come back to where they were. Removing the domain
// removes its progress (ON DELETE CASCADE).
export const sql = `
CREATE TABLE domain_setup (
  domain            TEXT PRIMARY KEY COLLATE NOCASE REFERENCES sending_domains(domain) ON DELETE CASCADE,
  -- The wizard step the person reached (1-based).
  step              INTEGER NOT NULL DEFAULT 1,
  -- How mail for this domain leaves, as chosen in the wizard: JSON {kind:'direct'} or
  -- {kind:'smarthost', preset}; NULL = follow the sending route in Settings.
  route             TEXT,
  -- Where DMARC reports should go; NULL until the person chose (defaults to postmaster@domain).
  report_address    TEXT,
  -- When the wizard last showed the records to create: absent records are "pending" for a while after.
  records_shown_at  INTEGER,
  -- The last "Check now": JSON of src/shared/domain/dns.ts domainCheckSchema.
  last_check        TEXT,
  updated_at        INTEGER NOT NULL
);
`;
