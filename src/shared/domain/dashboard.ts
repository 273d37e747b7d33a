import { z } from 'zod';
import { statusReportSchema } from './delivery.ts';
import { todayCountsSchema } from './delivery-log.ts';

// What the dashboard and the tray show: the engine's status, today's outcomes, and
// the problems only the user can fix, each with the place in the app that fixes it.

/** Places in the window a warning can send the user to (hash routes). */
export const APP_ROUTES = [
  '/',
  '/log',
  '/contacts',
  '/setup',
  '/settings/relay',
  '/settings/route',
  '/settings/domains',
  '/settings/app',
] as const;
export const appRouteSchema = z.enum(APP_ROUTES);
export type AppRoute = z.infer<typeof appRouteSchema>;

export const WARNING_KINDS = [
  'relay-down',
  'relay-elsewhere',
  'relay-password-guessing',
  'sending-paused',
  'route-paused',
  'route-not-configured',
  'daily-cap',
  'no-domains',
  'unsigned-domain',
  'domain-not-ready',
] as const;

export const warningSchema = z.object({
  kind: z.enum(WARNING_KINDS),
  severity: z.enum(['error', 'warning', 'info']),
  title: z.string(),
  message: z.string(),
  action: z.object({ label: z.string(), route: appRouteSchema }).nullable(),
});
export type Warning = z.infer<typeof warningSchema>;

export const dashboardSchema = z.object({
  status: statusReportSchema,
  today: todayCountsSchema,
  warnings: z.array(warningSchema),
  /** When main computed this (ms since the epoch). */
  at: z.number(),
});
export type Dashboard = z.infer<typeof dashboardSchema>;
