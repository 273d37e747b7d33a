import { notifications } from '@mantine/notifications';
import { toIpcError } from './ipc.ts';

/** A failed request as a notification: the sentence from main says what to do next. */
export function notifyError(err: unknown, title?: string): void {
  const e = toIpcError(err);
  notifications.show({
    color: 'red',
    title: title ?? e.description,
    message: e.message,
    autoClose: 12_000,
    withBorder: true,
  });
}

export function notifySuccess(message: string, title?: string): void {
  notifications.show({ color: 'green', title, message, autoClose: 5000, withBorder: true });
}
