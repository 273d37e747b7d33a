import type { MailroomBridge } from '../../shared/ipc/contract.ts';

declare global {
  interface Window {
    /** Set by the preload; absent when the page is opened outside the app. */
    mailroom?: MailroomBridge;
  }
}
