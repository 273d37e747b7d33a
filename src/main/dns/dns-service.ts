import { domainToUnicode } from 'node:url';
import {
  type DomainCheck,
  type DomainReadiness,
  domainCheckSchema,
  type WizardPlan,
  type WizardRoute,
  wizardRouteSchema,
} from '../../shared/domain/dns.ts';
import { detectDnsHost } from '../../shared/domain/dns-hosts.ts';
import { presetById } from '../../shared/domain/presets.ts';
import { parseDnsServers } from '../../shared/domain/settings.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';
import type { DkimService } from '../dkim/dkim-service.ts';
import { type DomainsService, normaliseDomain } from '../domains/domains-service.ts';
import type { SettingsService } from '../settings/settings-service.ts';
import { createDnsClient, type DnsClient, type DnsServerAddress } from './dns-client.ts';
import { checkDomain, readinessOf } from './domain-check.ts';
import { providerDkimFor } from './provider-dkim.ts';
import { findPublicIp } from './public-ip.ts';
import { planRecords } from './wizard-plan.ts';
import { findZone } from './zone.ts';

/** Absent records count as "pending" (propagating) for this long after the wizard showed them. */
export const PENDING_WINDOW_MS = 48 * 3600_000;

export interface DnsCheckOptions {
  /** Ask these DNS servers instead of the configured ones (`--dns-server`). */
  servers?: DnsServerAddress[];
  /** The public address mail leaves from, for a direct route; found out when absent. */
  ip?: string;
  /** Per-try DNS timeout in ms. */
  timeoutMs?: number;
}

interface SetupRow {
  domain: string;
  step: number;
  route: string | null;
  report_address: string | null;
  records_shown_at: number | null;
  last_check: string | null;
}

/**
 * The domain-authentication wizard's engine side: live checks of SPF, DKIM, DMARC, MX
 * and reverse DNS, the records to create, and the progress per domain. Used by the
 * window (IPC) and by `mailroom dns check`.
 */
export class DnsService {
  private readonly settings: SettingsService;
  private readonly domains: DomainsService;
  private readonly dkim: DkimService;
  private readonly getStmt;
  private readonly upsertStmt;
  private readonly allStmt;

  constructor(db: Db, settings: SettingsService, domains: DomainsService, dkim: DkimService) {
    this.settings = settings;
    this.domains = domains;
    this.dkim = dkim;
    this.getStmt = db.prepare(
      'SELECT domain, step, route, report_address, records_shown_at, last_check FROM domain_setup WHERE domain = ?',
    );
    // Only columns given (non-NULL, or flagged by @set_route) change; the row appears on
    // first use. records_shown_at keeps the FIRST showing, so looking at the records again
    // does not restart the propagation window; @reset_shown restarts it (the records changed).
    this.upsertStmt = db.prepare(`
      INSERT INTO domain_setup (domain, step, route, report_address, records_shown_at, last_check, updated_at)
      VALUES (@domain, coalesce(@step, 1), @route, @report_address, @records_shown_at, @last_check, @now)
      ON CONFLICT (domain) DO UPDATE SET
        step = coalesce(@step, step),
        route = CASE WHEN @set_route THEN @route ELSE route END,
        report_address = coalesce(@report_address, report_address),
        records_shown_at = CASE WHEN @reset_shown THEN @records_shown_at
                                ELSE coalesce(records_shown_at, @records_shown_at) END,
        last_check = coalesce(@last_check, last_check),
        updated_at = @now`);
    this.allStmt = db.prepare(
      'SELECT domain, step, route, report_address, records_shown_at, last_check FROM domain_setup',
    );
  }

  /** Runs every check live. For a sending domain the result is remembered for the dashboard. */
  async check(input: string, opts: DnsCheckOptions = {}): Promise<DomainCheck> {
    const domain = normaliseDomain(input);
    const client = this.client(opts);
    const row = this.row(domain);
    const route = this.routeOf(row);
    const result = await checkDomain(domain, {
      client,
      route,
      ip: route.kind === 'direct' ? (opts.ip ?? (await this.publicIp(opts))) : null,
      dkimKeys: this.ownKeys(domain),
      pending: this.isPending(row),
      reportAddress: this.reportAddress(domain, row),
      ehloName: this.settings.get('delivery.ehloName'),
    });
    // Only a real verdict becomes the domain's state: not one for an address typed in
    // (--ip), nor one built on questions that got no answer.
    if (opts.ip === undefined) this.remember(domain, result.check);
    return result.check;
  }

  /** What the wizard shows: the records to create (merged with what exists), where, and the checks. */
  async plan(input: string, opts: DnsCheckOptions = {}): Promise<{ plan: WizardPlan; check: DomainCheck }> {
    const domain = this.sendingDomain(input);
    const client = this.client(opts);
    const row = this.row(domain);
    const route = this.routeOf(row);
    const [zone, ip] = await Promise.all([
      findZone(domain, client),
      route.kind === 'direct' ? (opts.ip ?? this.publicIp(opts)) : null,
    ]);
    const reportAddress = this.reportAddress(domain, row);
    const keys = this.ownKeys(domain);
    const { check, spfWanted } = await checkDomain(domain, {
      client,
      route,
      ip,
      dkimKeys: keys,
      pending: this.isPending(row),
      reportAddress,
      ehloName: this.settings.get('delivery.ehloName'),
    });
    const preset = route.kind === 'smarthost' && route.preset ? presetById(route.preset) : undefined;
    const [records, providerDkim] = await Promise.all([
      planRecords(domain, zone?.zone ?? null, client, { check, spfWanted, dkimKeys: keys, reportAddress }),
      providerDkimFor(domain, preset, client),
    ]);
    const unicode = domainToUnicode(domain);
    if (opts.ip === undefined) this.remember(domain, check);
    return {
      check,
      plan: {
        domain,
        unicode: unicode !== domain ? unicode : null,
        zone: zone?.zone ?? null,
        nameServers: zone?.nameServers ?? [],
        dnsHost: detectDnsHost(zone?.nameServers ?? []).id,
        route,
        ip,
        routeFromSettings: row?.route == null,
        settingsRoute: this.routeOf(undefined),
        providerDkim,
        records,
        dkim: keys.map((k) => ({ selector: k.selector, algorithm: k.algorithm })),
        reportAddress,
        step: row?.step ?? 1,
      },
    };
  }

  /** Remembers where the person is in the wizard, how they send, and where DMARC reports go. */
  saveProgress(
    input: string,
    change: { step?: number; route?: WizardRoute | null; reportAddress?: string; recordsShown?: boolean },
  ): void {
    const domain = this.sendingDomain(input);
    if (change.step !== undefined && (!Number.isInteger(change.step) || change.step < 1 || change.step > 20)) {
      throw new MailroomError('VALIDATION', `Wizard step ${change.step} does not exist.`);
    }
    let route: string | null | undefined;
    if (change.route !== undefined) {
      if (change.route !== null) {
        const parsed = wizardRouteSchema.safeParse(change.route);
        if (
          !parsed.success ||
          (parsed.data.kind === 'smarthost' && parsed.data.preset && !presetById(parsed.data.preset))
        ) {
          throw new MailroomError(
            'VALIDATION',
            'That sending route is not one Mailroom knows; pick direct or a provider from the list.',
          );
        }
        route = JSON.stringify(parsed.data);
      } else route = null;
    }
    let report: string | undefined;
    if (change.reportAddress !== undefined) {
      report = change.reportAddress.trim();
      if (!/^[^@\s,;!"]+@[^@\s,;!"]+\.[a-z0-9-]{2,}$/i.test(report)) {
        throw new MailroomError(
          'VALIDATION',
          `"${report}" is not an email address. Give the mailbox where DMARC reports should arrive, for example postmaster@${domain}.`,
        );
      }
    }
    this.save(domain, {
      step: change.step,
      route,
      report_address: report,
      records_shown_at: change.recordsShown ? Date.now() : undefined,
      // Another route means another SPF record: its propagation starts when it is shown.
      reset_shown: route !== undefined && route !== this.row(domain)?.route,
    });
  }

  /** The records to publish changed (a new DKIM key): their propagation starts when next shown. */
  recordsChanged(input: string): void {
    const domain = normaliseDomain(input);
    this.save(domain, { reset_shown: true });
  }

  /** One line per sending domain: ready, needs attention, waiting for DNS, or never checked. */
  readiness(): DomainReadiness[] {
    const rows = new Map((this.allStmt.all() as SetupRow[]).map((r) => [r.domain.toLowerCase(), r]));
    return this.domains.list().map((domain) => readinessOf(domain, this.lastCheck(rows.get(domain))));
  }

  /** The address mail leaves from when sending direct, or null when it cannot be found out. */
  publicIp(opts: DnsCheckOptions = {}): Promise<string | null> {
    const servers = opts.servers ?? this.configuredServers();
    // With DNS servers configured (tests, or --dns-server) the question goes to them; otherwise to OpenDNS.
    return findPublicIp(servers.length > 0 ? this.client(opts) : null);
  }

  private remember(domain: string, check: DomainCheck): void {
    if (check.unanswered === 0) this.save(domain, { last_check: JSON.stringify(check) });
  }

  private lastCheck(row: SetupRow | undefined): DomainCheck | null {
    if (!row?.last_check) return null;
    // A row damaged outside Mailroom reads as "not checked yet": the next check rewrites it.
    let value: unknown;
    try {
      value = JSON.parse(row.last_check);
    } catch {
      return null;
    }
    const parsed = domainCheckSchema.safeParse(value);
    return parsed.success ? parsed.data : null;
  }

  private client(opts: DnsCheckOptions): DnsClient {
    return createDnsClient({ servers: opts.servers ?? this.configuredServers(), timeoutMs: opts.timeoutMs });
  }

  private configuredServers(): DnsServerAddress[] {
    const parsed = parseDnsServers(this.settings.get('delivery.dnsServers'));
    return typeof parsed === 'string' ? [] : parsed;
  }

  private row(domain: string): SetupRow | undefined {
    return this.getStmt.get(domain) as SetupRow | undefined;
  }

  private routeOf(row: SetupRow | undefined): WizardRoute {
    if (row?.route) {
      try {
        const parsed = wizardRouteSchema.safeParse(JSON.parse(row.route));
        if (parsed.success) return parsed.data;
      } catch {
        // Damaged outside Mailroom: follow Settings, as when no route was chosen.
      }
    }
    if (this.settings.get('delivery.route') === 'direct') return { kind: 'direct' };
    const preset = this.settings.get('smarthost.preset');
    return { kind: 'smarthost', preset: preset && presetById(preset) ? preset : null };
  }

  private isPending(row: SetupRow | undefined): boolean {
    return row?.records_shown_at != null && Date.now() - row.records_shown_at < PENDING_WINDOW_MS;
  }

  private reportAddress(domain: string, row: SetupRow | undefined): string {
    return row?.report_address ?? `postmaster@${domain}`;
  }

  /** The keys the signer uses: the newest RSA and the newest Ed25519 key of the domain. */
  private ownKeys(domain: string): { selector: string; algorithm: string; publicKey: string }[] {
    return this.dkim.signingKeys(domain);
  }

  private sendingDomain(input: string): string {
    const domain = normaliseDomain(input);
    const list = this.domains.list();
    if (!list.includes(domain)) {
      throw new MailroomError(
        'DOMAIN_UNKNOWN',
        `${domain} is not one of your sending domains (${list.join(', ') || 'there are none yet'}). Add it first.`,
      );
    }
    return domain;
  }

  private save(
    domain: string,
    v: {
      step?: number;
      route?: string | null;
      report_address?: string;
      records_shown_at?: number;
      reset_shown?: boolean;
      last_check?: string;
    },
  ): void {
    if (!this.domains.list().includes(domain)) return;
    this.upsertStmt.run({
      domain,
      step: v.step ?? null,
      route: v.route ?? null,
      set_route: v.route !== undefined ? 1 : 0,
      report_address: v.report_address ?? null,
      records_shown_at: v.records_shown_at ?? null,
      reset_shown: v.reset_shown ? 1 : 0,
      last_check: v.last_check ?? null,
      now: Date.now(),
    });
  }
}
