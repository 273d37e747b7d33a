// Durations people read and type: "90s", "5m", "1h", "5d", "1h30m". Used by the
// retry schedule and queue lifetimes, so the same words work in the CLI, the app
// and the database.

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DAY_MS = UNIT_MS.d;

/**
 * Longest queue lifetime (retry.lifetime, retry.bounceLifetime): mail still undelivered
 * after a month is news nobody can use any more, and its sender should hear about it.
 * RFC 5321 §4.5.4.1 asks for at least 4–5 days; the default is 5.
 */
export const MAX_LIFETIME_MS = 30 * DAY_MS;
/**
 * Longest single wait in retry.schedule: a week. Longer steps would leave a message only
 * a handful of tries in its lifetime, and a receiving server that is down for a day
 * would cost its recipients weeks.
 */
export const MAX_RETRY_STEP_MS = 7 * DAY_MS;
const RETRY_STEP_BOUND = {
  ms: MAX_RETRY_STEP_MS,
  why: 'longer waits would leave a message only a few tries before its lifetime runs out',
};
/**
 * Longest duration parseDuration reads at all, ten years: far beyond any bound a
 * setting puts on it, so a huge number is refused as text instead of becoming a date
 * the clock cannot hold.
 */
const MAX_DURATION_MS = 3650 * DAY_MS;

/** An upper bound for parseDuration, and the reason given when a value passes it. */
export interface DurationBound {
  ms: number;
  /** Finishes the sentence "use at most 30d (30 days): …". */
  why: string;
}

/**
 * Parses one duration; returns milliseconds, or an error sentence. With `max`, a
 * longer duration (however many digits it has) is refused with a sentence naming
 * the bound; without it, anything over ten years is refused anyway.
 */
export function parseDuration(text: string, max?: DurationBound): number | string {
  const t = text.trim().toLowerCase();
  const shown = t.length > 40 ? `${text.trim().slice(0, 37)}...` : text.trim();
  if (!/^(\d+[smhd])+$/.test(t)) return `"${shown}" is not a duration; write it like 30s, 5m, 1h, 2d or 1h30m`;
  const limit = Math.min(max?.ms ?? MAX_DURATION_MS, MAX_DURATION_MS);
  let ms = 0;
  for (const [, n, unit] of t.matchAll(/(\d+)([smhd])/g)) {
    // Checked part by part, so no sum ever leaves the range of exact integers.
    const part = Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
    ms += part;
    if (part > limit || ms > limit) {
      return max
        ? `"${shown}" is too long; use at most ${describeBound(max.ms)}: ${max.why}`
        : `"${shown}" is far too long for a duration (more than ten years); write something like 5d or 12h`;
    }
  }
  return ms;
}

/** How a bound reads in an error sentence: "30d (30 days)". */
export function describeBound(ms: number): string {
  const days = ms / DAY_MS;
  return Number.isInteger(days) ? `${formatDuration(ms)} (${days} day${days === 1 ? '' : 's'})` : formatDuration(ms);
}

/** "12 minutes", "3 hours", "5 days": how long something took, rounded to the unit that reads best. */
export function describeElapsed(ms: number): string {
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (ms < UNIT_MS.h) return unit(Math.max(1, Math.round(ms / UNIT_MS.m)), 'minute');
  if (ms < DAY_MS) return unit(Math.round(ms / UNIT_MS.h), 'hour');
  return unit(Math.round(ms / DAY_MS), 'day');
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
 * the one before (a schedule that speeds up is a typo), at least 1 second and at most
 * a week (MAX_RETRY_STEP_MS).
 */
export function parseRetrySchedule(text: string): number[] | string {
  const steps = text.split(',').map((s) => s.trim());
  if (steps.length === 0 || steps.some((s) => s === '')) {
    return 'write the waits separated by commas, for example 5m,10m,20m,40m,1h,2h,4h';
  }
  if (steps.length > 50) return 'use at most 50 steps; the last one repeats';
  const out: number[] = [];
  for (const step of steps) {
    const ms = parseDuration(step, RETRY_STEP_BOUND);
    if (typeof ms === 'string') return ms;
    if (ms < 1000) return `"${step}" is shorter than one second`;
    if (out.length > 0 && ms < (out.at(-1) as number)) {
      return `"${step}" is shorter than the step before it; each wait should be at least as long as the previous one`;
    }
    out.push(ms);
  }
  return out;
}
