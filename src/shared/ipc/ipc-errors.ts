import { ERROR_CODES, type ErrorCode } from '../errors.ts';

// Codes only the IPC boundary produces. They belong in the one registry in
// src/shared/errors.ts; they live here until that file (owned by the engine) takes them.
export const IPC_ERROR_CODES = {
  UNKNOWN_CHANNEL: 'The window asked for something Mailroom does not offer.',
  FORBIDDEN_SENDER: 'The request did not come from the Mailroom window, so it was refused.',
} as const;

export type IpcErrorCode = ErrorCode | keyof typeof IPC_ERROR_CODES;

/** The human description of a code, for codes from either registry; unknown codes get a generic sentence. */
export function describeErrorCode(code: string): string {
  if (Object.hasOwn(ERROR_CODES, code)) return ERROR_CODES[code as ErrorCode];
  if (Object.hasOwn(IPC_ERROR_CODES, code)) return IPC_ERROR_CODES[code as keyof typeof IPC_ERROR_CODES];
  return ERROR_CODES.INTERNAL;
}
