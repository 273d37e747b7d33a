import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/main/engine/log.ts';
import {
  AppTray,
  closeToTrayNotice,
  installCloseToTray,
  onceEver,
  type TrayActions,
  trayIconKind,
  trayMenu,
  trayStatus,
  trayTooltip,
} from '../../src/main/tray.ts';
import { type Dashboard, dashboardSchema, type Warning } from '../../src/shared/domain/dashboard.ts';
import type { EngineState } from '../../src/shared/ipc/contract.ts';

// The tray menu is a pure function of the dashboard and the engine state, so these
// tests check exactly what a person sees in each state; AppTray is driven with fakes
// of Electron's Tray, Menu and nativeImage.

const RUNNING: EngineState = { state: 'running', error: null };
const SERVE_HOLDS_FOLDER: EngineState = {
  state: 'failed',
  error: {
    code: 'ENGINE_RUNNING',
    message:
      '"mailroom serve" (process 4242, started 2026-03-01T09:00:00.000Z) is already running the engine on /home/ann/.config/Mailroom. Only one may run per data folder: stop it first, or use another folder with --data-dir.',
  },
};

const PAUSED: Warning = {
  kind: 'sending-paused',
  severity: 'info',
  title: 'Sending is paused',
  message: 'Mail is accepted and kept safe in the queue, but nothing leaves until you resume sending.',
  action: null,
};

function dashboard(opts: { running?: boolean; warnings?: Warning[] } = {}): Dashboard {
  return dashboardSchema.parse({
    status: {
      dataDir: '/data',
      relay: {
        host: '127.0.0.1',
        port: 2525,
        address: '127.0.0.1:2525',
        listening: ['127.0.0.1'],
        running: opts.running ?? true,
        runningPid: 1,
        username: 'mailroom',
        loginBlock: null,
      },
      secretStore: 'file',
      sendingDomains: ['example.com'],
      messages: 0,
      deliveries: { queued: 0, sending: 0, deferred: 0, delivered: 0, bounced: 0, cancelled: 0, unknown: 0 },
      delivery: {
        route: 'direct',
        target: "each recipient's mail server (MX)",
        waiting: null,
        dailyCap: null,
        unsignedDomains: [],
      },
    },
    today: { delivered: 0, deferred: 0, bounced: 0 },
    warnings: opts.warnings ?? [],
    at: 0,
  });
}

function actions() {
  return { open: vi.fn(), setSendingPaused: vi.fn(), quit: vi.fn() } satisfies TrayActions;
}

const shape = (template: ReturnType<typeof trayMenu>) =>
  template.map((i) => (i.type === 'separator' ? '---' : `${i.label}${i.enabled === false ? ' (disabled)' : ''}`));

describe('tray menu', () => {
  it('shows the relay address while running, with Open, Pause sending and Quit', () => {
    const menu = trayMenu(dashboard(), RUNNING, actions());
    expect(shape(menu)).toEqual([
      'Relay running on 127.0.0.1:2525 (disabled)',
      '---',
      'Open Mailroom',
      'Pause sending',
      '---',
      'Quit Mailroom',
    ]);
    expect(trayTooltip(trayStatus(dashboard(), RUNNING))).toBe('Relay running on 127.0.0.1:2525');
    expect(trayIconKind(dashboard(), RUNNING)).toBe('ok');
  });

  it('offers Resume sending while paused, and says so in the status', () => {
    const d = dashboard({ warnings: [PAUSED] });
    const menu = trayMenu(d, RUNNING, actions());
    expect(shape(menu)).toEqual([
      'Relay running on 127.0.0.1:2525 (disabled)',
      'Sending paused (disabled)',
      '---',
      'Open Mailroom',
      'Resume sending',
      '---',
      'Quit Mailroom',
    ]);
    expect(trayTooltip(trayStatus(d, RUNNING))).toBe('Relay running on 127.0.0.1:2525\nSending paused');
    expect(trayIconKind(d, RUNNING)).toBe('attention');
  });

  it('toggles: Pause asks for paused=true, Resume for paused=false; Open and Quit call theirs', () => {
    const a = actions();
    const click = (menu: ReturnType<typeof trayMenu>, id: string) =>
      (menu.find((i) => i.id === id)!.click as () => void)();
    click(trayMenu(dashboard(), RUNNING, a), 'pause');
    click(trayMenu(dashboard({ warnings: [PAUSED] }), RUNNING, a), 'pause');
    expect(a.setSendingPaused.mock.calls).toEqual([[true], [false]]);
    click(trayMenu(dashboard(), RUNNING, a), 'open');
    click(trayMenu(dashboard(), RUNNING, a), 'quit');
    expect(a.open).toHaveBeenCalledOnce();
    expect(a.quit).toHaveBeenCalledOnce();
  });

  it('says why the relay is not running when the engine failed, within the tooltip limit', () => {
    const d = dashboard({
      running: true, // `mailroom serve` runs it: the database says so
      warnings: [
        {
          kind: 'relay-down',
          severity: 'error',
          title: 'The relay is not running',
          message: SERVE_HOLDS_FOLDER.error!.message,
          action: null,
        },
      ],
    });
    const lines = trayStatus(d, SERVE_HOLDS_FOLDER);
    expect(lines).toEqual([
      'Relay not running: "mailroom serve" is already running the engine on /home/ann/.config/Mailroom.',
    ]);
    expect(lines[0]!.length).toBeLessThanOrEqual(100);
    const tooltip = trayTooltip(lines);
    expect(tooltip).toBe(lines[0]);
    expect(tooltip.length).toBeLessThanOrEqual(127);
    expect(trayIconKind(d, SERVE_HOLDS_FOLDER)).toBe('attention');
    // Pausing still works: the setting lives in the shared data folder.
    expect(trayMenu(d, SERVE_HOLDS_FOLDER, actions()).find((i) => i.id === 'pause')?.enabled).toBe(true);
  });

  it('keeps a short failure reason whole', () => {
    const state: EngineState = {
      state: 'failed',
      error: { code: 'RELAY_START', message: 'Port 2525 is in use by another program. Choose another port.' },
    };
    expect(trayStatus(dashboard({ running: false }), state)).toEqual([
      'Relay not running: Port 2525 is in use by another program.',
    ]);
  });

  it('names a problem that holds mail back', () => {
    const d = dashboard({
      warnings: [
        {
          kind: 'route-paused',
          severity: 'error',
          title: 'Your provider refused Mailroom’s login',
          message: '535 Authentication failed',
          action: { label: 'Sending route', route: '/settings/route' },
        },
      ],
    });
    expect(trayStatus(d, RUNNING)).toEqual([
      'Relay running on 127.0.0.1:2525',
      'Your provider refused Mailroom’s login',
    ]);
    expect(trayIconKind(d, RUNNING)).toBe('attention');
  });

  it('says when someone is guessing the relay password (mail programs here cannot log in meanwhile)', () => {
    const d = dashboard({
      warnings: [
        {
          kind: 'relay-password-guessing',
          severity: 'error',
          title: 'Someone is guessing your relay password',
          message: '10 wrong relay passwords came from a program on this computer.',
          action: { label: 'Local relay settings', route: '/settings/relay' },
        },
      ],
    });
    expect(trayStatus(d, RUNNING)).toEqual([
      'Relay running on 127.0.0.1:2525',
      'Someone is guessing your relay password',
    ]);
    expect(trayIconKind(d, RUNNING)).toBe('attention');
  });

  it('while starting, shows that and does not offer a toggle it cannot know', () => {
    const menu = trayMenu(null, { state: 'starting', error: null }, actions());
    expect(shape(menu)[0]).toBe('Relay starting… (disabled)');
    expect(menu.find((i) => i.id === 'pause')).toMatchObject({ label: 'Pause sending', enabled: false });
  });
});

describe('close to tray', () => {
  function fakeWindow() {
    const win = new EventEmitter() as EventEmitter & { hide: () => void; hidden: number };
    win.hidden = 0;
    win.hide = () => {
      win.hidden++;
    };
    return win;
  }
  const closeEvent = () => ({ preventDefault: vi.fn() });

  it('hides instead of closing while the app keeps running, and lets it close when quitting', () => {
    const win = fakeWindow();
    let quitting = false;
    const onHidden = vi.fn();
    installCloseToTray(win as never, { keepRunning: () => !quitting, onHidden });

    const first = closeEvent();
    win.emit('close', first);
    expect(first.preventDefault).toHaveBeenCalled();
    expect(win.hidden).toBe(1);
    expect(onHidden).toHaveBeenCalledOnce();

    quitting = true;
    const atQuit = closeEvent();
    win.emit('close', atQuit);
    expect(atQuit.preventDefault).not.toHaveBeenCalled();
    expect(win.hidden).toBe(1);
  });

  it('explains once ever, remembered in the stored flag before the box shows', () => {
    let stored = false;
    const order: string[] = [];
    const explain = onceEver(
      {
        get: () => stored,
        set: (v) => {
          stored = v;
          order.push('set');
        },
      },
      () => order.push('show'),
    );
    explain();
    explain();
    expect(order).toEqual(['set', 'show']);
    expect(stored).toBe(true);
    // A later run reads the flag and stays quiet.
    const again = vi.fn();
    onceEver({ get: () => stored, set: () => {} }, again)();
    expect(again).not.toHaveBeenCalled();
  });

  it('tells the user where Mailroom went and how to stop it', () => {
    const { message, detail } = closeToTrayNotice('win32');
    expect(`${message} ${detail}`).toBe(
      'Mailroom is still running in the tray, so Outlook and your other mail programs can keep sending. To stop it completely, choose Quit Mailroom from the tray icon.',
    );
    expect(closeToTrayNotice('darwin').detail).toContain('menu bar icon');
  });
});

describe('AppTray', () => {
  function fakes(opts: { throws?: boolean } = {}) {
    const created: FakeTray[] = [];
    class FakeTray extends EventEmitter {
      image: { path: string };
      tooltip = '';
      menus: { items: unknown[] }[] = [];
      images: string[] = [];
      destroyed = false;
      constructor(image: { path: string }) {
        super();
        if (opts.throws) throw new Error('no StatusNotifier host');
        this.image = image;
        created.push(this);
      }
      setToolTip(t: string) {
        this.tooltip = t;
      }
      setContextMenu(m: { items: unknown[] }) {
        this.menus.push(m);
      }
      setImage(i: { path: string }) {
        this.image = i;
        this.images.push(i.path);
      }
      destroy() {
        this.destroyed = true;
      }
    }
    const templates: string[] = [];
    const deps = {
      Tray: FakeTray,
      Menu: { buildFromTemplate: (items: unknown[]) => ({ items }) },
      nativeImage: {
        createFromPath: (path: string) => ({
          path,
          isEmpty: () => false,
          setTemplateImage: () => templates.push(path),
        }),
      },
    };
    return { deps: deps as never, created, templates };
  }
  const icons = { ok: '/r/tray.png', attention: '/r/tray-attention.png', template: false };

  it('starts with a "starting" menu, then follows the dashboard, rebuilding only on change', () => {
    const { deps, created } = fakes();
    const a = actions();
    const tray = AppTray.create(deps, { icons, actions: a, platform: 'linux', log: silentLogger })!;
    const t = created[0]!;
    expect(t.image.path).toBe('/r/tray.png');
    expect(t.tooltip).toBe('Relay starting…');
    expect(t.menus).toHaveLength(1);

    tray.update(dashboard(), RUNNING);
    tray.update(dashboard(), RUNNING);
    expect(t.menus).toHaveLength(2);
    expect(t.tooltip).toBe('Relay running on 127.0.0.1:2525');
    expect(t.images).toEqual([]);

    tray.update(dashboard({ warnings: [PAUSED] }), RUNNING);
    expect(t.menus).toHaveLength(3);
    expect(t.images).toEqual(['/r/tray-attention.png']);

    // A click on the icon (Windows, GtkStatusIcon) opens the window.
    t.emit('click');
    expect(a.open).toHaveBeenCalledOnce();

    tray.destroy();
    tray.update(dashboard(), RUNNING);
    expect(t.destroyed).toBe(true);
    expect(t.menus).toHaveLength(3);
  });

  it('uses template images on macOS and leaves the click to the menu', () => {
    const { deps, created, templates } = fakes();
    const a = actions();
    AppTray.create(deps, {
      icons: { ok: '/r/trayTemplate.png', attention: '/r/trayAttentionTemplate.png', template: true },
      actions: a,
      platform: 'darwin',
      log: silentLogger,
    });
    expect(templates).toEqual(['/r/trayTemplate.png']);
    created[0]!.emit('click');
    expect(a.open).not.toHaveBeenCalled();
  });

  it('answers null and logs when the desktop has no tray', () => {
    const { deps } = fakes({ throws: true });
    const warn = vi.fn();
    const tray = AppTray.create(deps, {
      icons,
      actions: actions(),
      platform: 'linux',
      log: { ...silentLogger, warn },
    });
    expect(tray).toBeNull();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('no tray icon'), {
      error: 'no StatusNotifier host',
    });
  });
});
