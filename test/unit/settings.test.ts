import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/main/db/connection.ts';
import { toAsciiDomain } from '../../src/main/domains/domains-service.ts';
import { defaultDataDir } from '../../src/main/engine/paths.ts';
import { isLoopback, loginAllowed, relayConfigFrom } from '../../src/main/relay/relay-config.ts';
import { SettingsService } from '../../src/main/settings/settings-service.ts';
import { settingsDefaults } from '../../src/shared/domain/settings.ts';
import { tempDir } from '../helpers/engine.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('settings', () => {
  it('parses typed values from text and refuses bad ones without writing', () => {
    const d = tempDir();
    dirs.push(d);
    const db = openDatabase(`${d}/m.db`);
    const s = new SettingsService(db);
    expect(s.setFromText('relay.allowRemote', 'yes')).toBe(true);
    expect(s.setFromText('relay.port', '2600')).toBe(2600);
    expect(() => s.setFromText('relay.port', '26x')).toThrow(/relay.port cannot be "26x"/);
    expect(() => s.setFromText('relay.maxRecipients', '0')).toThrow(/Nothing was changed/);
    expect(s.get('relay.port')).toBe(2600);
    expect(s.get('relay.maxRecipients')).toBe(100);
    db.close();
  });

  it('refuses a non-loopback relay without the explicit opt-in and TLS', () => {
    const base = settingsDefaults();
    expect(relayConfigFrom(base).loopbackOnly).toBe(true);
    expect(() => relayConfigFrom({ ...base, 'relay.host': '0.0.0.0' })).toThrow(/relay.allowRemote true/);
    expect(() => relayConfigFrom({ ...base, 'relay.host': '0.0.0.0', 'relay.allowRemote': true })).toThrow(/needs TLS/);
  });
});

describe('relay login policy', () => {
  it('allows clear-text logins only from this computer', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a)).toBe(true);
    for (const a of ['10.0.0.5', '192.168.1.20', '::ffff:10.0.0.5', 'fe80::1', '0.0.0.0'])
      expect(isLoopback(a)).toBe(false);
    expect(loginAllowed({ secure: false, remoteAddress: '127.0.0.1' })).toBe(true);
    expect(loginAllowed({ secure: false, remoteAddress: '192.168.1.20' })).toBe(false);
    expect(loginAllowed({ secure: true, remoteAddress: '192.168.1.20' })).toBe(true);
  });
});

describe('domains and paths', () => {
  it('normalises domains to lower-case ASCII and refuses non-domains', () => {
    expect(toAsciiDomain('Example.COM.')).toBe('example.com');
    expect(toAsciiDomain('bücher.de')).toBe('xn--bcher-kva.de');
    for (const bad of ['localhost', 'a b.com', '-x.com', 'example.123', '', `${'x'.repeat(64)}.com`]) {
      expect(toAsciiDomain(bad)).toBeNull();
    }
  });

  it('uses the same per-OS folder Electron would', () => {
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/cfg' }, 'linux')).toBe('/cfg/Mailroom');
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32')).toMatch(/Roaming[\\/]Mailroom$/);
    expect(defaultDataDir({}, 'darwin')).toMatch(/Library\/Application Support\/Mailroom$/);
  });
});
