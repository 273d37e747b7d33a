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
 * Connections from one client that have not logged in yet; one more pushes out the
 * oldest of them. On this computer every program is the same client, so this is the
 * number that must never hurt a real mail program: those open a handful of
 * connections and log in at once.
 */
export const MAX_WAITING_PER_CLIENT = 10;
/** Connections from one other computer (relay.allowRemote), logged in or not. */
export const MAX_PER_REMOTE_CLIENT = 10;

export const FULL =
  '4.7.0 Mailroom has as many mail program connections as it allows (relay.maxClients); try again in a moment';
export const TOO_MANY_FROM_CLIENT = '4.7.0 Too many connections from your address; close some and try again';

/**
 * Whether a new connection from `client` gets a place among the `open` ones (oldest
 * first), and which connections waiting to log in give theirs up: the client's oldest
 * waiting one when it has too many, and the oldest waiting one of anybody when the
 * relay is full. Only when every place is taken by a logged-in connection (or another
 * computer has MAX_PER_REMOTE_CLIENT logged in) is the newcomer refused.
 */
export function admit<P extends Place>(
  open: readonly P[],
  client: string,
  maxClients: number,
): { evict: P[]; refuse: string | null } {
  const evict: P[] = [];
  const mine = open.filter((p) => p.client === client);
  const waiting = mine.filter((p) => !p.loggedIn);
  if (client !== THIS_COMPUTER && mine.length >= MAX_PER_REMOTE_CLIENT) {
    if (!waiting[0]) return { evict: [], refuse: TOO_MANY_FROM_CLIENT };
    evict.push(waiting[0]);
  } else if (waiting.length >= MAX_WAITING_PER_CLIENT && waiting[0]) {
    evict.push(waiting[0]);
  }
  if (open.length - evict.length >= maxClients) {
    const oldest = open.find((p) => !p.loggedIn && !evict.includes(p));
    if (!oldest) return { evict: [], refuse: FULL };
    evict.push(oldest);
  }
  return { evict, refuse: null };
}
