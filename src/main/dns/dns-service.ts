import crypto from 'node:crypto';
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
import { askOnce, createDnsClient, type DnsClient, type DnsServerAddress } from './dns-client.ts';
import { checkDomain, readinessOf } from './domain-check.ts';
import { providerDkimFor } from './provider-dkim.ts';
import { findPublicIp } from './public-ip.ts';
import { planRecords } from './wizard-plan.ts';
import { findZone, organisationalDomain } from './zone.ts';

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
  records_shown: string | null;
  last_check: string | null;
}

/** The records the wizard shows and can be waiting for. */
export type ShownRecord = 'spf' | 'dkim' | 'dmarc';
const SHOWN_RECORDS: readonly ShownRecord[] = ['spf', 'dkim', 'dmarc'];
/** Per record: a fingerprint of what it was made from, and when it was first shown so. */
type RecordsShown = Partial<Record<ShownRecord, { for: string; at: number }>>;

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
    const columns = 'domain, step, route, report_address, records_shown, last_check';
    this.getStmt = db.prepare(`SELECT ${columns} FROM domain_setup WHERE domain = ?`);
    // Only columns given (non-NULL, or flagged by @set_route) change; the row appears on first use.
    this.upsertStmt = db.prepare(`
      INSERT INTO domain_setup (domain, step, route, report_address, records_shown, last_check, updated_at)
      VALUES (@domain, coalesce(@step, 1), @route, @report_address, @records_shown, @last_check, @now)
      ON CONFLICT (domain) DO UPDATE SET
        step = coalesce(@step, step),
        route = CASE WHEN @set_route THEN @route ELSE route END,
        report_address = coalesce(@report_address, report_address),
        records_shown = coalesce(@records_shown, records_shown),
        last_check = coalesce(@last_check, last_check),
        updated_at = @now`);
    this.allStmt = db.prepare(`SELECT ${columns} FROM domain_setup`);
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
      pending: this.isPending(domain, row),
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
      pending: this.isPending(domain, row),
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
        organisationalDomain: organisationalDomain(domain),
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
    this.save(domain, { step: change.step, route, report_address: report });
    // After the change above: the records shown are the ones made from it. A record shown
    // again as it was keeps its first showing, so looking again does not restart its window.
    if (change.recordsShown) this.markShown(domain, SHOWN_RECORDS);
  }

  /**
   * The person has just seen these records as they are now (the wizard's records page
   * shows all three; `mailroom dkim generate` prints the DKIM one): their "waiting for
   * DNS" window starts, unless this same record was shown before.
   */
  markShown(input: string, records: readonly ShownRecord[]): void {
    const domain = normaliseDomain(input);
    const row = this.row(domain);
    const now = this.recordsMadeFrom(domain, row);
    const shown = this.recordsShown(row, now);
    for (const r of records) {
      const was = shown[r];
      shown[r] = was && was.for === now[r] ? was : { for: now[r], at: Date.now() };
    }
    this.save(domain, { records_shown: JSON.stringify(shown) });
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

  /** A client for one run (a check, a records page): each question asked once. */
  private client(opts: DnsCheckOptions): DnsClient {
    return askOnce(createDnsClient({ servers: opts.servers ?? this.configuredServers(), timeoutMs: opts.timeoutMs }));
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

  /**
   * Per record: absent counts as "waiting for DNS" for a while after the wizard showed
   * it, and only while it is still the record that was shown.
   */
  private isPending(domain: string, row: SetupRow | undefined): Record<ShownRecord, boolean> {
    const now = this.recordsMadeFrom(domain, row);
    const shown = this.recordsShown(row, now);
    const pending = (r: ShownRecord) => {
      const s = shown[r];
      return s !== undefined && s.for === now[r] && Date.now() - s.at < PENDING_WINDOW_MS;
    };
    return { spf: pending('spf'), dkim: pending('dkim'), dmarc: pending('dmarc') };
  }

  /** Fingerprints of what each record is made from: SPF the route, DKIM the keys, DMARC the report address. */
  private recordsMadeFrom(domain: string, row: SetupRow | undefined): Record<ShownRecord, string> {
    const hash = (what: unknown) =>
      crypto.createHash('sha256').update(JSON.stringify(what)).digest('base64url').slice(0, 22);
    return {
      spf: hash(this.routeOf(row)),
      dkim: hash(this.ownKeys(domain).map((k) => [k.selector, k.algorithm, k.publicKey])),
      dmarc: hash(this.reportAddress(domain, row)),
    };
  }

  /** `now`: the current fingerprints, which a window carried over by migration 005 ({legacyAt}) applies to. */
  private recordsShown(row: SetupRow | undefined, now: Record<ShownRecord, string>): RecordsShown {
    if (!row?.records_shown) return {};
    // Damaged outside Mailroom: as if never shown (absent records read as missing).
    try {
      const value = JSON.parse(row.records_shown) as unknown;
      if (typeof value !== 'object' || value === null) return {};
      const legacyAt = (value as { legacyAt?: unknown }).legacyAt;
      if (typeof legacyAt === 'number') {
        return Object.fromEntries(SHOWN_RECORDS.map((r) => [r, { for: now[r], at: legacyAt }]));
      }
      const out: RecordsShown = {};
      for (const r of SHOWN_RECORDS) {
        const s = (value as Record<string, unknown>)[r] as { for?: unknown; at?: unknown } | undefined;
        if (s && typeof s.for === 'string' && typeof s.at === 'number') out[r] = { for: s.for, at: s.at };
      }
      return out;
    } catch {
      return {};
    }
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
      records_shown?: string;
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
      records_shown: v.records_shown ?? null,
      last_check: v.last_check ?? null,
      now: Date.now(),
    });
  }
}
