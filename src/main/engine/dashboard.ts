import type { Dashboard, Warning } from '../../shared/domain/dashboard.ts';
import type { EngineState } from '../../shared/ipc/contract.ts';
import { todayCounts } from '../queue/log-today.ts';
import type { Engine } from './engine.ts';

/** Midnight today, local time: "today" on the dashboard is the user's day, like the daily caps. */
export function startOfLocalDay(now: number): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** The dashboard: status, today's outcomes, and the warnings that need the user. */
export function buildDashboard(engine: Engine, engineState: EngineState, now = Date.now()): Dashboard {
  const status = engine.status();
  return {
    status,
    today: todayCounts(engine.db, startOfLocalDay(now)),
    warnings: warningsFor(engine, status, engineState),
    at: now,
  };
}

function warningsFor(engine: Engine, status: Dashboard['status'], engineState: EngineState): Warning[] {
  const s = engine.settings.all();
  const out: Warning[] = [];
  const route = status.delivery.route;

  if (engineState.state === 'failed' && engineState.error?.code === 'ENGINE_RUNNING' && status.relay.running) {
    // `mailroom serve` runs the engine on this folder: mail programs can send, and this
    // window shows that engine's queue and settings.
    out.push({
      kind: 'relay-elsewhere',
      severity: 'info',
      title: 'Another Mailroom runs the relay',
      message: `The "mailroom serve" command runs the relay (${status.relay.address}) and sends the mail on this computer. Mail programs can send through it; this window shows its queue and settings.`,
      action: null,
    });
  } else if (engineState.state === 'failed') {
    out.push({
      kind: 'relay-down',
      severity: 'error',
      title: 'The relay is not running',
      message: `${engineState.error?.message ?? 'It did not start.'} Outlook and other mail programs cannot send through Mailroom until this is fixed.`,
      action: { label: 'Relay settings', route: '/settings/relay' },
    });
  }
  if (s['delivery.paused']) {
    out.push({
      kind: 'sending-paused',
      severity: 'info',
      title: 'Sending is paused',
      message: 'Mail is accepted and kept safe in the queue, but nothing leaves until you resume sending.',
      action: null,
    });
  }
  const pause = engine.pauses.get(route);
  if (pause) {
    out.push({
      kind: 'route-paused',
      severity: 'error',
      title: pause.code ? 'Your provider refused Mailroom’s login' : 'Sending through your provider is held back',
      message: `${pause.reason} Nothing bounces while this lasts: mail waits.`,
      action: { label: 'Sending route', route: '/settings/route' },
    });
  }
  if (route === 'smarthost' && !s['smarthost.host']) {
    out.push({
      kind: 'route-not-configured',
      severity: 'error',
      title: 'No provider is set up',
      message: 'Mail is set to go through a provider, but no provider server is filled in, so mail waits.',
      action: { label: 'Choose a provider', route: '/settings/route' },
    });
  }
  const cap = status.delivery.dailyCap;
  if (cap && cap.sentToday >= cap.cap) {
    out.push({
      kind: 'daily-cap',
      severity: 'warning',
      title: 'Today’s sending limit is reached',
      message: `${cap.sentToday.toLocaleString('en')} of ${cap.cap.toLocaleString('en')} recipients were sent today. The rest waits and goes out tomorrow; nothing fails. You can raise the limit if your provider allows it.`,
      action: { label: 'Sending limits', route: '/settings/route' },
    });
  }
  if (status.sendingDomains.length === 0) {
    out.push({
      kind: 'no-domains',
      severity: 'warning',
      title: 'Add your sending domain',
      message:
        'Mailroom only sends mail from your own domains (the part after the @ in your address). Until you add one, mail programs cannot send through it.',
      action: { label: 'Sending domains', route: '/settings/domains' },
    });
  }
  for (const domain of status.delivery.unsignedDomains) {
    out.push({
      kind: 'unsigned-domain',
      severity: 'warning',
      title: `${domain} has no DKIM key`,
      message: `Mail from ${domain} goes out unsigned, and Gmail and Yahoo may put it in spam or refuse it. Set up DKIM for ${domain}.`,
      action: { label: 'Set up the domain', route: '/setup' },
    });
  }
  // Signed domains whose DNS records are missing or wrong (unsigned ones are warned about above).
  const unsigned = new Set(status.delivery.unsignedDomains);
  for (const r of engine.dns.readiness()) {
    if (unsigned.has(r.domain) || r.state === 'ready') continue;
    out.push({
      kind: 'domain-not-ready',
      severity: r.state === 'attention' ? 'warning' : 'info',
      title:
        r.state === 'attention'
          ? `${r.domain}: DNS records need fixing`
          : r.state === 'pending'
            ? `${r.domain}: waiting for DNS`
            : `${r.domain}: DNS records not checked yet`,
      message: r.summary,
      action: { label: 'Open the domain setup', route: '/setup' },
    });
  }
  return out;
}
