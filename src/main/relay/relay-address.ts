// Where the relay listens, and what a mail program should be told.

export interface RelayAddress {
  /** The address the relay answers on first: 127.0.0.1 by default. */
  host: string;
  port: number;
  /** Every address it listens on, `host` first: 127.0.0.1 and ::1 by default, where this computer has ::1. */
  listening: string[];
}

/**
 * The addresses to listen on for a relay.host. The default (127.0.0.1, or "localhost")
 * means this computer, which mail programs call "localhost"; Windows and macOS resolve
 * that to ::1 first, and a program that does not fall back to 127.0.0.1 (or waits
 * before it does) would fail or stall. So the relay listens on ::1 too, same port, where
 * the computer has an IPv6 loopback. Any other relay.host is taken literally.
 */
export function listenPlan(host: string): { first: string; ipv6Loopback: boolean } {
  if (host === '127.0.0.1' || host === 'localhost') return { first: '127.0.0.1', ipv6Loopback: true };
  return { first: host, ipv6Loopback: false };
}

/**
 * The server name for a mail program: "localhost" only when the relay answers on both
 * 127.0.0.1 and ::1, so that whichever a mail program tries first, it gets the relay;
 * otherwise the address itself. (An engine.json from before `listening` existed has none.)
 */
export function mailProgramHost(address: { host: string; listening?: string[] }): string {
  const listening = address.listening ?? [address.host];
  if (listening.includes('127.0.0.1') && listening.includes('::1')) return 'localhost';
  return address.host === 'localhost' ? '127.0.0.1' : address.host;
}

/** host:port, with brackets around an IPv6 address. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
