import net from 'node:net';

// IP addresses for SPF: parsing IPv4/IPv6 (with embedded and mapped IPv4) to bytes,
// printing them, and prefix (CIDR) matching for ip4:/ip6:, a and mx.

export interface Ip {
  version: 4 | 6;
  bytes: Uint8Array;
}

function ipv4Bytes(s: string): Uint8Array | null {
  if (!net.isIPv4(s)) return null;
  return Uint8Array.from(s.split('.').map(Number));
}

/** 16 bytes of an IPv6 address (including the embedded-IPv4 forms), or null. */
export function ipv6Bytes(s: string): Uint8Array | null {
  // Zone indexes (fe80::1%eth0) are not addresses SPF can hold.
  if (s.includes('%') || !net.isIPv6(s)) return null;
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const v4 = ipv4Bytes(g);
        if (!v4) return null;
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      } else {
        out.push(Number.parseInt(g, 16));
      }
    }
    return out;
  };
  const halves = s.split('::');
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (!head || !tail) return null;
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return null;
  const all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return bytes;
}

export function parseIp(s: string): Ip | null {
  const v4 = ipv4Bytes(s);
  if (v4) return { version: 4, bytes: v4 };
  const v6 = ipv6Bytes(s);
  return v6 ? { version: 6, bytes: v6 } : null;
}

/**
 * An IPv4-mapped IPv6 address (::ffff:192.0.2.1) is an IPv4 sender: RFC 7208 §5 asks
 * verifiers to treat it as one, so "ip4:" terms and A records apply to it.
 */
export function unmapIpv4(ip: Ip): Ip {
  if (ip.version !== 6) return ip;
  const b = ip.bytes;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return ip;
  if (b[10] !== 0xff || b[11] !== 0xff) return ip;
  return { version: 4, bytes: b.slice(12) };
}

export function ipText(ip: Ip): string {
  if (ip.version === 4) return [...ip.bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push((((ip.bytes[i] as number) << 8) | (ip.bytes[i + 1] as number)).toString(16));
  return groups.join(':');
}

/** True when the first `prefix` bits of both addresses agree (same family only). */
export function inRange(ip: Ip, network: Ip, prefix: number): boolean {
  if (ip.version !== network.version) return false;
  const full = Math.floor(prefix / 8);
  for (let i = 0; i < full; i++) if (ip.bytes[i] !== network.bytes[i]) return false;
  const bits = prefix % 8;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return ((ip.bytes[full] as number) & mask) === ((network.bytes[full] as number) & mask);
}
