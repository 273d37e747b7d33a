// The engine's fixes end with the exact record to publish ("… with the value: v=DKIM1; …").
// That part gets its own copy button, so nobody has to select a 400-character key by hand.

const RECORD_AT_END = /:\s+(v=[A-Za-z0-9]+\b.*)$/s;

/** The record value a fix sentence ends with, or null when it names none. */
export function recordInFix(fix: string): string | null {
  const m = RECORD_AT_END.exec(fix.trim());
  return m ? (m[1] as string).trim() : null;
}
