import { parseDuration, parseRetrySchedule } from '../../shared/domain/durations.ts';
import type { Settings } from '../../shared/domain/settings.ts';

/**
 * When to try again after a temporary failure, and when to give up. Built from
 * settings that were validated when stored; a value that somehow fails to parse
 * falls back to the default rather than stopping delivery.
 */
export class RetryPolicy {
  readonly schedule: readonly number[];
  readonly lifetimeMs: number;
  readonly bounceLifetimeMs: number;

  constructor(settings: Pick<Settings, 'retry.schedule' | 'retry.lifetime' | 'retry.bounceLifetime'>) {
    const schedule = parseRetrySchedule(settings['retry.schedule']);
    this.schedule = typeof schedule === 'string' ? DEFAULT_SCHEDULE : schedule;
    this.lifetimeMs = durationOr(settings['retry.lifetime'], 5 * DAY);
    this.bounceLifetimeMs = durationOr(settings['retry.bounceLifetime'], DAY);
  }

  /** The longest wait in the schedule: no deferred delivery should be further away than this. */
  get maxStepMs(): number {
    return this.schedule.at(-1) as number;
  }

  /**
   * @param attempts attempts made so far, including the one that just failed.
   * A ±10% jitter keeps deliveries deferred together from all coming due in the same second.
   */
  nextAttemptAt(attempts: number, now: number, random = Math.random): number {
    const step = this.schedule[Math.min(Math.max(attempts, 1), this.schedule.length) - 1] as number;
    return now + Math.round(step * (0.9 + 0.2 * random()));
  }

  /** True once a delivery has been queued longer than its lifetime (shorter for our own bounce reports). */
  expired(createdAt: number, now: number, isBounceReport: boolean): boolean {
    return now - createdAt >= (isBounceReport ? this.bounceLifetimeMs : this.lifetimeMs);
  }
}

const DAY = 86_400_000;
const DEFAULT_SCHEDULE = parseRetrySchedule('5m,10m,20m,40m,1h,2h,4h') as number[];

function durationOr(text: string, fallback: number): number {
  const ms = parseDuration(text);
  return typeof ms === 'number' ? ms : fallback;
}
