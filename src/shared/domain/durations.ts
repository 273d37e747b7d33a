// Durations people read and type: "90s", "5m", "1h", "5d", "1h30m". Used by the
// retry schedule and queue lifetimes, so the same words work in the CLI, the app
// and the database.

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses one duration; returns milliseconds, or an error sentence. */
export function parseDuration(text: string): number | string {
  const t = text.trim().toLowerCase();
  if (!/^(\d+[smhd])+$/.test(t)) return `"${text.trim()}" is not a duration; write it like 30s, 5m, 1h, 2d or 1h30m`;
  let ms = 0;
  for (const [, n, unit] of t.matchAll(/(\d+)([smhd])/g)) ms += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return ms;
}

export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  const parts: string[] = [];
  let rest = Math.round(ms / 1000) * 1000;
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const n = Math.floor(rest / UNIT_MS[unit]);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * UNIT_MS[unit];
  }
  return parts.join('') || '0s';
}

/**
 * A retry schedule: the waits after the 1st, 2nd, … failed attempt; the last wait
 * repeats until the queue lifetime runs out. Each step must be at least as long as
 * the one before (a schedule that speeds up is a typo) and at least 1 second.
 */
export function parseRetrySchedule(text: string): number[] | string {
  const steps = text.split(',').map((s) => s.trim());
  if (steps.length === 0 || steps.some((s) => s === '')) {
    return 'write the waits separated by commas, for example 5m,10m,20m,40m,1h,2h,4h';
  }
  if (steps.length > 50) return 'use at most 50 steps; the last one repeats';
  const out: number[] = [];
  for (const step of steps) {
    const ms = parseDuration(step);
    if (typeof ms === 'string') return ms;
    if (ms < 1000) return `"${step}" is shorter than one second`;
    if (out.length > 0 && ms < (out.at(-1) as number)) {
      return `"${step}" is shorter than the step before it; each wait should be at least as long as the previous one`;
    }
    out.push(ms);
  }
  return out;
}
