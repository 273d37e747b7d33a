import { describe, expect, it } from 'vitest';
import {
  presetById,
  presetSettings,
  SMARTHOST_PRESETS,
  smarthostPresetSchema,
} from '../../src/shared/domain/presets.ts';
import { SETTINGS, type SettingKey } from '../../src/shared/domain/settings.ts';
import { MailroomError } from '../../src/shared/errors.ts';

const REQUIRED: Record<string, string[]> = {
  'amazon-ses': ['email-smtp.us-east-1.amazonaws.com', 'email-smtp.eu-west-1.amazonaws.com'],
  mailgun: ['smtp.mailgun.org', 'smtp.eu.mailgun.org'],
  sendgrid: ['smtp.sendgrid.net'],
  postmark: ['smtp.postmarkapp.com', 'smtp-broadcasts.postmarkapp.com'],
  brevo: ['smtp-relay.brevo.com'],
  mailjet: ['in-v3.mailjet.com'],
  smtp2go: ['mail.smtp2go.com'],
  gmail: ['smtp.gmail.com'],
  'google-workspace': ['smtp.gmail.com'],
  'microsoft-365': ['smtp.office365.com'],
  mandrill: ['smtp.mandrillapp.com'],
  sendpulse: ['smtp-pulse.com'],
  mailersend: ['smtp.mailersend.net'],
  'elastic-email': ['smtp.elasticemail.com'],
  'smtp-com': ['send.smtp.com'],
  ahasend: ['send.ahasend.com', 'send-us.ahasend.com'],
  mailtrap: ['live.smtp.mailtrap.io', 'bulk.smtp.mailtrap.io'],
  authsmtp: ['mail.authsmtp.com'],
};

function expectValidSetting(key: SettingKey, value: unknown): void {
  const r = SETTINGS[key].schema.safeParse(value);
  expect(r.success, `${key}=${JSON.stringify(value)}: ${r.error?.message}`).toBe(true);
}

describe('smarthost presets', () => {
  it('has every required provider with its servers', () => {
    for (const [id, hosts] of Object.entries(REQUIRED)) {
      const p = presetById(id);
      expect(p, id).toBeDefined();
      for (const h of hosts) expect(p?.hosts.map((x) => x.host)).toContain(h);
    }
  });

  it('ids are unique and each preset matches the preset schema', () => {
    const ids = SMARTHOST_PRESETS.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of SMARTHOST_PRESETS) {
      const r = smarthostPresetSchema.safeParse(p);
      expect(r.success, `${p.id}: ${r.error?.message}`).toBe(true);
    }
  });

  it('ports agree with the security mode (465 is implicit TLS; 587 and 2525 are STARTTLS)', () => {
    for (const p of SMARTHOST_PRESETS) {
      expect([587, 465, 2525], p.id).toContain(p.port);
      expect(p.port === 465, p.id).toBe(p.security === 'tls');
    }
  });

  it('host regions are unique within a preset and either all set or a single null', () => {
    for (const p of SMARTHOST_PRESETS) {
      const regions = p.hosts.map((h) => h.region);
      expect(new Set(regions).size, p.id).toBe(regions.length);
      if (regions.includes(null)) expect(regions, p.id).toHaveLength(1);
    }
  });

  it('every preset and host produces values the real settings schemas accept', () => {
    for (const p of SMARTHOST_PRESETS) {
      for (const h of p.hosts) {
        const s = presetSettings(p.id, h.region ?? undefined);
        expect(s['smarthost.host']).toBe(h.host);
        for (const [key, value] of Object.entries(s)) expectValidSetting(key as SettingKey, value);
        expect(Object.keys(s).includes('smarthost.username')).toBe('fixed' in p.username);
      }
    }
  });

  it('fills in the provider facts', () => {
    expect(presetSettings('amazon-ses', 'eu-central-1')).toEqual({
      'smarthost.preset': 'amazon-ses',
      'smarthost.host': 'email-smtp.eu-central-1.amazonaws.com',
      'smarthost.port': 587,
      'smarthost.security': 'starttls',
      'smarthost.dailyCap': 200,
      'smarthost.ratePerMinute': 60,
    });
    expect(presetById('amazon-ses')?.hosts).toHaveLength(17);
    expect(presetSettings('sendgrid')['smarthost.username']).toBe('apikey');
    expect(presetSettings('mailgun', 'eu')['smarthost.host']).toBe('smtp.eu.mailgun.org');
    expect(presetSettings('mailgun')['smarthost.host']).toBe('smtp.mailgun.org');
    expect(presetSettings('postmark', 'broadcast')['smarthost.host']).toBe('smtp-broadcasts.postmarkapp.com');
    expect(presetSettings('gmail')['smarthost.dailyCap']).toBe(500);
    expect(presetSettings('google-workspace')['smarthost.dailyCap']).toBe(2000);
    expect(presetSettings('microsoft-365')).toMatchObject({
      'smarthost.dailyCap': 10000,
      'smarthost.ratePerMinute': 30,
    });
    expect(presetSettings('brevo')).toMatchObject({ 'smarthost.dailyCap': 0, 'smarthost.ratePerMinute': 0 });
    const postmark = presetById('postmark');
    expect(postmark?.spfInclude).toBeNull();
    expect(postmark?.spfNote).toMatch(/include:spf\.mtasv\.net/);
    expect(presetById('amazon-ses')?.spfInclude).toBe('include:amazonses.com');
    expect(presetById('microsoft-365')?.spfInclude).toBe('include:spf.protection.outlook.com');
  });

  it('fills in the facts of the providers added in issue 13, each from its own documentation', () => {
    expect(SMARTHOST_PRESETS).toHaveLength(18);
    expect(presetSettings('mandrill')).toEqual({
      'smarthost.preset': 'mandrill',
      'smarthost.host': 'smtp.mandrillapp.com',
      'smarthost.port': 587,
      'smarthost.security': 'starttls',
      'smarthost.dailyCap': 0,
      'smarthost.ratePerMinute': 0,
    });
    expect(presetById('mandrill')?.providerDkim?.selectors).toEqual(['mte1', 'mte2']);
    expect(presetById('mandrill')?.spfInclude).toBeNull();
    expect(presetSettings('sendpulse')['smarthost.dailyCap']).toBe(400);
    expect(presetById('mailersend')?.spfInclude).toBe('include:_spf.mailersend.net');
    expect(presetById('elastic-email')?.spfInclude).toBe('include:_spf.elasticemail.com');
    expect(presetById('elastic-email')?.providerDkim?.selectors).toEqual(['api']);
    expect(presetById('smtp-com')?.spfInclude).toBe('include:_spf.smtp.com');
    // AhaSend has no port 465 and a server per region.
    expect(presetSettings('ahasend', 'us')['smarthost.host']).toBe('send-us.ahasend.com');
    expect(presetSettings('ahasend')).toMatchObject({ 'smarthost.port': 587, 'smarthost.security': 'starttls' });
    // Mailtrap: user name "api", the free plan's 150 a day, newsletters through the Bulk stream.
    expect(presetSettings('mailtrap')).toMatchObject({
      'smarthost.host': 'live.smtp.mailtrap.io',
      'smarthost.username': 'api',
      'smarthost.dailyCap': 150,
    });
    expect(presetSettings('mailtrap', 'bulk')['smarthost.host']).toBe('bulk.smtp.mailtrap.io');
    // AuthSMTP recommends 2525 (no 587), STARTTLS once SSL is on for the account.
    expect(presetSettings('authsmtp')).toMatchObject({ 'smarthost.port': 2525, 'smarthost.security': 'starttls' });
    expect(presetById('authsmtp')?.passwordHint).toMatch(/Control Panel.*SSL/);
    expect(presetById('authsmtp')?.spfInclude).toBe('include:authsmtp.com');
    // outMail gives every account its own server in the signup email: no preset can fill it in.
    expect(presetById('outmail')).toBeUndefined();
  });

  it('refuses an unknown id or region with a sentence listing the valid ones', () => {
    const thrown = (f: () => unknown): MailroomError => {
      try {
        f();
      } catch (err) {
        return err as MailroomError;
      }
      throw new Error('did not throw');
    };
    const a = thrown(() => presetSettings('nope'));
    expect(a).toBeInstanceOf(MailroomError);
    expect(a.code).toBe('VALIDATION');
    expect(a.message).toMatch(/"nope".*amazon-ses, mailgun, sendgrid/);
    const b = thrown(() => presetSettings('amazon-ses', 'mars-1'));
    expect(b.code).toBe('VALIDATION');
    expect(b.message).toMatch(/"mars-1".*us-east-1.*sa-east-1\.$/);
    const c = thrown(() => presetSettings('sendgrid', 'eu'));
    expect(c.code).toBe('VALIDATION');
    expect(c.message).toMatch(/single server/);
    expect(presetById('nope')).toBeUndefined();
  });
});
