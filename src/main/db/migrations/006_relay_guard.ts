// Relay logins refused because someone kept guessing the relay password. The relay
// (in `mailroom serve` or the app) writes a row when a block starts; whichever process
// shows the dashboard or `mailroom status` reads it, so the warning reaches the person
// even when another process runs the relay. Rows are few: one per client address that
// was blocked, pruned after a week.
export const sql = `
CREATE TABLE relay_login_blocks (
  -- "this computer" for every loopback address, else the address (an IPv6 client's /64).
  client             TEXT PRIMARY KEY,
  -- Failed logins from this client since the relay started counting them.
  failures           INTEGER NOT NULL,
  first_failure_at   INTEGER NOT NULL,
  blocked_at         INTEGER NOT NULL,
  blocked_until      INTEGER NOT NULL
);
CREATE INDEX relay_login_blocks_until ON relay_login_blocks (blocked_until);
`;
