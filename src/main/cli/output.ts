import { MailroomError } from '../../shared/errors.ts';

// How every command prints: a sentence for people, or JSON with --json.

export type Out = { json: boolean };

export function print(out: Out, data: unknown, text: string): void {
  process.stdout.write(out.json ? `${JSON.stringify(data, null, 2)}\n` : `${text}\n`);
}

export function usage(message: string): never {
  throw new MailroomError('USAGE', message);
}
