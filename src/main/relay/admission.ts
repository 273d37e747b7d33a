import { THIS_COMPUTER } from './login-guard.ts';

// Who gets a place on the relay. Connections that have not logged in yet give way:
// without that, any program on this computer could open relay.maxClients sockets
// that never log in and lock the user's mail program out, no password needed.

/** A connection as admission sees it. */
export interface Place {
  /** clientKey() of its address: "this computer" for every loopback address. */
  client: string;
  loggedIn: boolean;
}

/**
 * Connections from one other computer (relay.allowRemote), logged in or not; one more
 * pushes out that computer's oldest connection waiting to log in, or is refused.
 *
 * This computer has no cap of its own beyond relay.maxClients: every program on it is
 * the same client (the user's mail program and anything else), so a smaller cap would
 * only be a second, smaller maxClients. It would refuse a script that sends over many
 * parallel connections, and would make the user's mail program easier to push out: a
 * newcomer pushes out the oldest waiting connection, so a local program must open
 * maxClients new connections, not just a few, while the mail program logs in.
 */
export const MAX_PER_REMOTE_CLIENT = 10;

export const FULL =
  '4.7.0 Mailroom has as many mail program connections as it allows (relay.maxClients); try again in a moment';
export const TOO_MANY_FROM_CLIENT = '4.7.0 Too many connections from your address; close some and try again';

/**
 * Whether a new connection from `client` gets a place among the `open` ones (oldest
 * first), and which connections waiting to log in give theirs up: another computer's
 * oldest waiting one when it has MAX_PER_REMOTE_CLIENT, and the oldest waiting one of
 * anybody when the relay is full. Only when every place is taken by a logged-in
 * connection (or another computer has MAX_PER_REMOTE_CLIENT logged in) is the
 * newcomer refused. Waiting connections cannot stay long anyway: they get 421 at the
 * login deadline.
 */
export function admit<P extends Place>(
  open: readonly P[],
  client: string,
  maxClients: number,
): { evict: P[]; refuse: string | null } {
  const evict: P[] = [];
  const mine = open.filter((p) => p.client === client);
  if (client !== THIS_COMPUTER && mine.length >= MAX_PER_REMOTE_CLIENT) {
    const oldest = mine.find((p) => !p.loggedIn);
    if (!oldest) return { evict: [], refuse: TOO_MANY_FROM_CLIENT };
    evict.push(oldest);
  }
  if (open.length - evict.length >= maxClients) {
    const oldest = open.find((p) => !p.loggedIn && !evict.includes(p));
    if (!oldest) return { evict: [], refuse: FULL };
    evict.push(oldest);
  }
  return { evict, refuse: null };
}
