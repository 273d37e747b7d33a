// The wizard's steps in order. Progress is saved per domain as the 1-based step number.

export const WIZARD_STEPS = [
  { label: 'Domain', description: 'Which one' },
  { label: 'How you send', description: 'Provider or direct' },
  { label: 'DKIM key', description: 'Your signature' },
  { label: 'Records', description: 'What to create' },
  { label: 'DNS host', description: 'Where to create it' },
  { label: 'Check', description: 'Is it right?' },
  { label: 'Test', description: 'Send to yourself' },
] as const;

export const LAST_STEP = WIZARD_STEPS.length;

/** A saved step clamped to the steps that exist (an older version may have had more). */
export function clampStep(step: number): number {
  return Math.min(Math.max(1, Math.trunc(step) || 1), LAST_STEP);
}
