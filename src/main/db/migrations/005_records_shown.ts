// The "waiting for DNS" window per record (SPF, DKIM, DMARC), for the records the wizard
// actually showed: a new DKIM key (from the window or the command line), another sending
// route (wizard or Settings) or another report address means a new record, whose window
// starts when it is shown. One timestamp for all records could not say that.
export const sql = `
-- JSON {spf?|dkim?|dmarc?: {for: fingerprint of what the record was made from, at: ms}}.
ALTER TABLE domain_setup ADD COLUMN records_shown TEXT;
-- A window already running carries over ({legacyAt}: read as "the records as they are now,
-- shown then"), so an upgrade during propagation does not turn everything red.
UPDATE domain_setup SET records_shown = json_object('legacyAt', records_shown_at) WHERE records_shown_at IS NOT NULL;
ALTER TABLE domain_setup DROP COLUMN records_shown_at;
`;
