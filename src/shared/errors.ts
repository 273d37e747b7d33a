// One registry of error codes. Every error that crosses a boundary (CLI, IPC, SMTP
// replies built from engine errors) carries one of these codes plus a sentence that
// says what happened and what to do next.
export const ERROR_CODES = {
  VALIDATION: 'The input was not valid.',
  USAGE: 'The command was not used correctly.',
  UNKNOWN_SETTING: 'There is no setting with that name.',
  INVALID_SETTING: 'That value is not allowed for this setting.',
  UNKNOWN_SECRET: 'There is no secret with that name.',
  KEYCHAIN_UNAVAILABLE: 'The system keychain could not be reached.',
  SECRET_STORE: 'The secret store failed.',
  DATABASE_TOO_NEW: 'The data folder was written by a newer version of Mailroom.',
  DATABASE: 'The database could not be opened or updated.',
  DATA_FOLDER: 'The data folder is missing its database, is damaged, or cannot be written.',
  BACKUP: 'The backup could not be made.',
  RESTORE: 'The backup could not be restored.',
  ENGINE_RUNNING: 'Another Mailroom engine is already using this data folder.',
  RELAY_CONFIG: 'The relay settings do not allow it to start.',
  RELAY_START: 'The relay could not start listening.',
  DOMAIN_INVALID: 'That is not a valid domain name.',
  DOMAIN_EXISTS: 'That domain is already in the list.',
  DOMAIN_UNKNOWN: 'That domain is not in the list.',
  NOT_FOUND: 'Nothing was found.',
  IMPORT_FILE: 'The file could not be read as a list of contacts.',
  EXPORT_FAILED: 'The export could not be saved.',
  DKIM_KEY: 'The DKIM key could not be created, read or used.',
  DKIM_KEY_EXISTS: 'A DKIM key with that selector already exists for the domain.',
  ROUTE_CONFIG: 'The sending route is not set up correctly.',
  UNKNOWN_CHANNEL: 'The window asked for something Mailroom does not offer.',
  FORBIDDEN_SENDER: 'The request did not come from the Mailroom window, so it was refused.',
  IMPORT_FAILED: 'The contacts file could not be imported; nothing was changed.',
  IMPORT_UNDO: 'That import cannot be undone.',
  IMPORT_CANCELLED: 'The import was cancelled; nothing was changed.',
  INTERNAL: 'Something went wrong inside Mailroom.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class MailroomError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message?: string) {
    super(message ?? ERROR_CODES[code]);
    this.name = 'MailroomError';
    this.code = code;
  }
}

export function describeError(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof MailroomError) return { code: err.code, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message };
}

/** The human description of a code; unknown codes get the generic sentence. */
export function describeErrorCode(code: string): string {
  return Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as ErrorCode] : ERROR_CODES.INTERNAL;
}
