import os from 'node:os';

/**
 * Whether this machine has an IPv6 loopback (::1). Tests over ::1 run only where it
 * exists and say so where it does not; the relay itself then listens on 127.0.0.1 alone.
 */
export const hasIpv6Loopback = Object.values(os.networkInterfaces()).some((addrs) =>
  addrs?.some((a) => a.family === 'IPv6' && a.address === '::1'),
);

if (!hasIpv6Loopback) console.warn('this machine has no IPv6 loopback (::1): tests over ::1 are skipped');
