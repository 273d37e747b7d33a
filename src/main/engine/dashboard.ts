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
  const status = engine.status(now);
  return {
    status,
    today: todayCounts(engine.db, startOfLocalDay(now)),
    warnings: warningsFor(engine, status, engineState),
    at: now,
  };
}

/** A time of day in the main process's zone (the user's computer), e.g. "14:05". */
function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
}

/**
 * Someone kept getting the relay password wrong, so the relay refuses logins from
 * there for a while. From this computer that means every program on it, the user's own
 * mail programs too: say so plainly, say when it ends, and what to do.
 */
function passwordGuessingWarning(block: Dashboard['status']['relay']['loginBlock']): Warning | null {
  if (!block) return null;
  const action = { label: 'Local relay settings', route: '/settings/relay' } as const;
  const count = `${block.failures.toLocaleString('en')} wrong relay password${block.failures === 1 ? '' : 's'}`;
  const cause =
    'If you made a new relay password recently, a mail program that still has the old one causes this: type the new one into it. If you did not, make a new password.';
  if (!block.active) {
    return {
      kind: 'relay-password-guessing',
      severity: 'warning',
      title: 'Someone was guessing your relay password',
      message: `After ${count} from ${block.thisComputer ? 'a program on this computer' : block.client}, Mailroom refused relay logins from ${block.thisComputer ? 'this computer' : 'there'} until ${clock(block.until)}. Mail programs can log in again. ${cause}`,
      action,
    };
  }
  return {
    kind: 'relay-password-guessing',
    severity: 'error',
    title: 'Someone is guessing your relay password',
    message: block.thisComputer
      ? `${count} came from a program on this computer. To keep your mail safe, Mailroom refuses every relay login from this computer until ${clock(block.until)}, your own mail programs’ too: they keep their mail in the Outbox and can send again after that. ${cause} Also check this computer for programs you do not know.`
      : `${count} came from ${block.client}. Mailroom refuses relay logins from there until ${clock(block.until)}. ${cause}`,
    action,
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
  const guessing = passwordGuessingWarning(status.relay.loginBlock);
  if (guessing) out.push(guessing);
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
