import net from 'node:net';
import type { Logger } from '../engine/log.ts';
import type { LoginBlock, LoginBlocks } from './login-blocks.ts';
import { isLoopback } from './relay-config.ts';

/** The one client every loopback address stands for. */
export const THIS_COMPUTER = 'this computer';

export interface LoginGuardOptions {
  /** Pause before answering the first recent failed login from a client; it doubles with each further one. */
  firstDelayMs?: number;
  /** A client's first block lasts this long; each further block in a row twice as long, up to 12 times. */
  blockMs?: number;
}

/** Recent failures from one client that start a block. */
const BLOCK_AFTER = 10;
/** The pause doubles up to 2^4 = 16 times the first one (16 s by default). */
const MAX_DELAY_DOUBLINGS = 4;
/** A client's recent-failure count halves with every hour without a failure. */
const HALF_LIFE_MS = 3600_000;
/**
 * A count that has decayed below this is forgotten, and with it the client's running
 * count and earlier blocks: about 3 hours after a single failure, 7 after a block.
 */
const FORGET_BELOW = 0.1;
/** At most this many clients are tracked; the quietest are forgotten first. */
const MAX_TRACKED = 1000;

/** What the guard knows about one client. */
interface Tracked {
  /** Failed logins, each weighing less as time passes (halving every HALF_LIFE_MS). */
  score: number;
  /** When `score` was last brought up to date. */
  at: number;
  /** Failed logins since this client was first counted (what the log and the dashboard show). */
  failures: number;
  firstFailureAt: number;
  /** 0 when not blocked. */
  blockedUntil: number;
  /** Blocks in a row: each one lasts twice as long as the one before. */
  blocks: number;
  /** Connections and logins refused during the current block, for the line that ends it. */
  refused: number;
  endTimer: ReturnType<typeof setTimeout> | null;
}

export interface FailedLogin {
  /** Failed logins from this client so far (the running count, not this connection's). */
  failures: number;
  /** The decayed count the decisions are made on. */
  recent: number;
  /** How long to wait before answering. */
  pauseMs: number;
  /** Set when the client is refused from now on, until then (ms since the epoch). */
  blockedUntil: number | null;
}

/**
 * Which client a connection counts as. Every loopback address is the same client,
 * "this computer": on Linux the whole of 127.0.0.0/8 reaches a listener on 127.0.0.1,
 * so a program here could otherwise take a fresh source address for every few
 * guesses; and 127.0.0.1 and ::1 are the same programs anyway. An IPv6 client counts
 * by its /64, the block a single host is normally given.
 */
export function clientKey(remoteAddress: string): string {
  const a = remoteAddress.replace(/^::ffff:/i, '').replace(/%.*$/, '');
  if (isLoopback(a)) return THIS_COMPUTER;
  if (net.isIPv6(a)) return `${ipv6Groups(a).slice(0, 4).join(':')}::/64`;
  return a;
}

/** The eight groups of an IPv6 address, without leading zeros. */
function ipv6Groups(address: string): string[] {
  const part = (s: string) =>
    s
      .split(':')
      .filter(Boolean)
      // A trailing dotted IPv4 part stands for two groups.
      .flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
  const [head = '', tail] = address.split('::');
  const h = part(head);
  const t = tail === undefined ? [] : part(tail);
  const zeros = tail === undefined ? [] : Array(Math.max(0, 8 - h.length - t.length)).fill('0');
  return [...h, ...zeros, ...t].map((g) => Number.parseInt(g, 16).toString(16));
}

/** How a client is named in the log and on the dashboard. */
export function clientLabel(client: string): string {
  return client === THIS_COMPUTER ? 'this computer (127.0.0.1 and ::1)' : client;
}

/**
 * Counts failed relay logins per client across connections, so guessing the relay
 * password gets slower with every miss wherever it comes from, and after
 * BLOCK_AFTER recent misses the client is refused outright (421 at connect and at
 * AUTH, even with the right password) for some minutes. The count decays, so a
 * person who mistypes now and then is never blocked, and a block ends by itself.
 * Blocks are written to the database for the dashboard of whichever process shows it.
 */
export class LoginGuard {
  private readonly tracked = new Map<string, Tracked>();
  private readonly firstDelayMs: number;
  private readonly blockMs: number;
  private readonly log: Logger;
  private readonly store: LoginBlocks | null;

  constructor(deps: { log: Logger; store?: LoginBlocks | null } & LoginGuardOptions, now = Date.now()) {
    this.log = deps.log;
    this.store = deps.store ?? null;
    this.firstDelayMs = deps.firstDelayMs ?? 1000;
    this.blockMs = deps.blockMs ?? 5 * 60_000;
    // A restart (or a crash) does not lift a block: carry on those still running.
    for (const b of this.store?.active(now) ?? []) {
      const r = this.fresh(now);
      Object.assign(r, { score: BLOCK_AFTER, failures: b.failures, firstFailureAt: b.firstFailureAt, blocks: 1 });
      this.tracked.set(b.client, r);
      this.block(b.client, r, b.blockedUntil, now, false);
    }
  }

  /** Until when a client is refused, or null when it is not. Counts the refusal. */
  blockedUntil(remoteAddress: string, now = Date.now()): number | null {
    const r = this.tracked.get(clientKey(remoteAddress));
    if (!r || r.blockedUntil <= now) return null;
    r.refused++;
    return r.blockedUntil;
  }

  /** Counts a failed login and says how long to pause, and whether the client is now blocked. */
  failed(remoteAddress: string, now = Date.now()): FailedLogin {
    const client = clientKey(remoteAddress);
    const r = this.touch(client, now);
    r.score += 1;
    r.failures += 1;
    if (r.failures === 1) r.firstFailureAt = now;
    // Rounded: ten failures in a few seconds have decayed a hair below ten.
    if (r.blockedUntil <= now && Math.round(r.score) >= BLOCK_AFTER) {
      const length = Math.min(this.blockMs * 2 ** r.blocks, this.blockMs * 12);
      r.blocks += 1;
      this.block(client, r, now + length, now, true);
    }
    const doublings = Math.min(Math.max(Math.round(r.score), 1) - 1, MAX_DELAY_DOUBLINGS);
    return {
      failures: r.failures,
      recent: Math.round(r.score * 10) / 10,
      pauseMs: this.firstDelayMs * 2 ** doublings,
      blockedUntil: r.blockedUntil > now ? r.blockedUntil : null,
    };
  }

  /** Stops the timers that log the end of blocks (the engine is stopping). */
  close(): void {
    for (const r of this.tracked.values()) if (r.endTimer) clearTimeout(r.endTimer);
  }

  private block(client: string, r: Tracked, until: number, now: number, isNew: boolean): void {
    r.blockedUntil = until;
    r.refused = 0;
    if (r.endTimer) clearTimeout(r.endTimer);
    r.endTimer = setTimeout(() => {
      r.endTimer = null;
      this.log.info('relay logins accepted again: the block for wrong passwords ended', {
        client: clientLabel(client),
        failures: r.failures,
        refusedDuringBlock: r.refused,
      });
    }, until - now);
    r.endTimer.unref();
    if (!isNew) return;
    this.log.warn('relay logins refused: someone keeps guessing the relay password', {
      client: clientLabel(client),
      failures: r.failures,
      until: new Date(until).toISOString(),
      minutes: Math.round((until - now) / 6000) / 10,
    });
    const row: LoginBlock = {
      client,
      failures: r.failures,
      firstFailureAt: r.firstFailureAt,
      blockedAt: now,
      blockedUntil: until,
    };
    try {
      this.store?.record(row);
    } catch (err) {
      // The block holds in memory all the same; only the dashboard misses it.
      this.log.error('could not record a relay login block', { error: (err as Error).message });
    }
  }

  /** The client's entry, its count decayed to `now`; a quiet one is forgotten and starts afresh. */
  private touch(client: string, now: number): Tracked {
    let r = this.tracked.get(client);
    if (r) {
      this.decay(r, now);
      this.tracked.delete(client); // re-inserted below: the map stays in least-recently-used order
      if (r.blockedUntil <= now && r.score < FORGET_BELOW) r = this.fresh(now);
    } else {
      this.makeRoom(now);
      r = this.fresh(now);
    }
    this.tracked.set(client, r);
    return r;
  }

  private decay(r: Tracked, now: number): void {
    if (now > r.at) r.score *= 0.5 ** ((now - r.at) / HALF_LIFE_MS);
    r.at = now;
  }

  private fresh(now: number): Tracked {
    return {
      score: 0,
      at: now,
      failures: 0,
      firstFailureAt: now,
      blockedUntil: 0,
      blocks: 0,
      refused: 0,
      endTimer: null,
    };
  }

  /** Memory stays bounded whatever number of addresses an attack uses. */
  private makeRoom(now: number): void {
    if (this.tracked.size < MAX_TRACKED) return;
    for (const [client, r] of this.tracked) {
      this.decay(r, now);
      if (r.blockedUntil <= now && r.score < FORGET_BELOW) this.forget(client, r);
    }
    if (this.tracked.size < MAX_TRACKED) return;
    // Still full: the least recently seen client that is not blocked goes, else the oldest.
    let victim: [string, Tracked] | null = null;
    for (const entry of this.tracked) {
      if (entry[1].blockedUntil <= now) {
        victim = entry;
        break;
      }
      victim ??= entry;
    }
    if (victim) this.forget(...victim);
  }

  private forget(client: string, r: Tracked): void {
    if (r.endTimer) clearTimeout(r.endTimer);
    this.tracked.delete(client);
  }

  /** Clients tracked right now (for tests: memory stays bounded). */
  get size(): number {
    return this.tracked.size;
  }
}
