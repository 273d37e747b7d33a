import type { BrowserWindow, Event, Menu, MenuItemConstructorOptions, NativeImage, Tray } from 'electron';
import type { Dashboard } from '../shared/domain/dashboard.ts';
import type { EngineState } from '../shared/ipc/contract.ts';
import type { Logger } from './engine/log.ts';

// The tray icon: what the relay is doing at a glance, and the few things a person
// does without opening the window (open it, pause sending, quit). The menu is a pure
// function of the dashboard so tests check it under Node; AppTray only hands it to
// Electron, which arrives as arguments (types only are imported here).

export interface TrayActions {
  open(): void;
  setSendingPaused(paused: boolean): void;
  quit(): void;
}

/** Windows cuts a tray tooltip at 127 characters; the other systems get the same text. */
const TOOLTIP_MAX = 127;
/** A menu line longer than this makes the whole menu as wide as a window. */
const LABEL_MAX = 100;

export function isSendingPaused(dashboard: Dashboard | null): boolean {
  return dashboard?.warnings.some((w) => w.kind === 'sending-paused') ?? false;
}

/** The status lines shown at the top of the menu and, joined, as the tooltip. */
export function trayStatus(dashboard: Dashboard | null, engine: EngineState): string[] {
  const lines: string[] = [];
  const relay = dashboard?.status.relay;
  if (engine.state === 'failed') {
    lines.push(`Relay not running: ${firstSentence(engine.error?.message ?? 'it did not start.')}`);
  } else if (engine.state === 'starting') {
    lines.push('Relay starting…');
  } else if (engine.state === 'stopped') {
    lines.push('Relay stopped');
  } else if (relay && !relay.running) {
    lines.push('Relay not running');
  } else {
    lines.push(relay ? `Relay running on ${relay.address}` : 'Relay running');
  }
  if (isSendingPaused(dashboard)) lines.push('Sending paused');
  // One more line for a problem that stops mail and that only the user can fix.
  const blocking = dashboard?.warnings.find(
    (w) => w.severity === 'error' && w.kind !== 'relay-down' && w.kind !== 'sending-paused',
  );
  if (blocking) lines.push(blocking.title);
  return lines.map((l) => shorten(l, LABEL_MAX));
}

export function trayTooltip(lines: readonly string[]): string {
  return shorten(lines.join('\n'), TOOLTIP_MAX);
}

/** Whether the icon should ask for attention: the relay is down, sending is paused, or mail is stuck. */
export function trayIconKind(dashboard: Dashboard | null, engine: EngineState): 'ok' | 'attention' {
  if (engine.state === 'failed' || engine.state === 'stopped') return 'attention';
  if (dashboard && !dashboard.status.relay.running) return 'attention';
  return dashboard?.warnings.some((w) => w.severity === 'error' || w.kind === 'sending-paused') ? 'attention' : 'ok';
}

/** The tray menu as an Electron menu template. */
export function trayMenu(
  dashboard: Dashboard | null,
  engine: EngineState,
  actions: TrayActions,
): MenuItemConstructorOptions[] {
  const paused = isSendingPaused(dashboard);
  return [
    ...trayStatus(dashboard, engine).map(
      (label, i): MenuItemConstructorOptions => ({ id: i === 0 ? 'status' : `status-${i}`, label, enabled: false }),
    ),
    { type: 'separator' },
    { id: 'open', label: 'Open Mailroom', click: () => actions.open() },
    {
      id: 'pause',
      label: paused ? 'Resume sending' : 'Pause sending',
      // Until the first dashboard arrives the current state is unknown: no guessing.
      enabled: dashboard !== null,
      click: () => actions.setSendingPaused(!paused),
    },
    { type: 'separator' },
    { id: 'quit', label: 'Quit Mailroom', click: () => actions.quit() },
  ];
}

/** What the first close of the window explains. */
export function closeToTrayNotice(platform: NodeJS.Platform): { message: string; detail: string } {
  const where = platform === 'darwin' ? 'menu bar' : 'tray';
  return {
    message: `Mailroom is still running in the ${where}, so Outlook and your other mail programs can keep sending.`,
    detail: `To stop it completely, choose Quit Mailroom from the ${where} icon.`,
  };
}

/**
 * Closing the window hides it while `keepRunning()` says so (a tray exists and the app
 * is not quitting); the engine goes on relaying. `onHidden` runs after each such hide.
 */
export function installCloseToTray(
  win: Pick<BrowserWindow, 'on' | 'hide'>,
  opts: { keepRunning: () => boolean; onHidden: () => void },
): void {
  win.on('close', (event: Event) => {
    if (!opts.keepRunning()) return;
    event.preventDefault();
    win.hide();
    opts.onHidden();
  });
}

/** Runs `show` the first time only, remembering that in a stored flag (marked before showing). */
export function onceEver(flag: { get(): boolean; set(value: boolean): void }, show: () => void): () => void {
  return () => {
    if (flag.get()) return;
    flag.set(true);
    show();
  };
}

export interface TrayDeps {
  Tray: new (image: NativeImage) => Pick<Tray, 'setToolTip' | 'setContextMenu' | 'setImage' | 'on' | 'destroy'>;
  Menu: Pick<typeof Menu, 'buildFromTemplate'>;
  nativeImage: { createFromPath(path: string): NativeImage };
}

export interface TrayIcons {
  ok: string;
  attention: string;
  /** macOS: black-and-clear images the menu bar recolours for light and dark mode. */
  template: boolean;
}

export interface TrayOptions {
  icons: TrayIcons;
  actions: TrayActions;
  platform: NodeJS.Platform;
  log: Logger;
}

export class AppTray {
  private readonly deps: TrayDeps;
  private readonly opts: TrayOptions;
  private readonly tray: Pick<Tray, 'setToolTip' | 'setContextMenu' | 'setImage' | 'on' | 'destroy'>;
  private menuKey = '';
  private tooltip = '';
  private iconKind: 'ok' | 'attention' = 'ok';
  private destroyed = false;

  private constructor(
    deps: TrayDeps,
    opts: TrayOptions,
    tray: Pick<Tray, 'setToolTip' | 'setContextMenu' | 'setImage' | 'on' | 'destroy'>,
  ) {
    this.deps = deps;
    this.opts = opts;
    this.tray = tray;
  }

  /**
   * The tray icon, or null where the desktop has none (some Linux desktops lack a
   * StatusNotifier host): the app then quits when its window closes, as before.
   */
  static create(deps: TrayDeps, opts: TrayOptions): AppTray | null {
    let tray: Pick<Tray, 'setToolTip' | 'setContextMenu' | 'setImage' | 'on' | 'destroy'>;
    try {
      tray = new deps.Tray(AppTray.image(deps, opts, 'ok'));
    } catch (err) {
      opts.log.warn('no tray icon on this desktop; closing the window will quit Mailroom', {
        error: err instanceof Error ? err.message : String(err),
      });
      return null;
    }
    const appTray = new AppTray(deps, opts, tray);
    // Windows and GtkStatusIcon report a click; macOS and AppIndicator open the menu instead.
    if (opts.platform !== 'darwin') tray.on('click', () => opts.actions.open());
    appTray.update(null, { state: 'starting', error: null });
    return appTray;
  }

  private static image(deps: TrayDeps, opts: TrayOptions, kind: 'ok' | 'attention'): NativeImage {
    const image = deps.nativeImage.createFromPath(kind === 'ok' ? opts.icons.ok : opts.icons.attention);
    if (image.isEmpty()) opts.log.warn('the tray image is missing', { kind });
    if (opts.icons.template) image.setTemplateImage(true);
    return image;
  }

  /** Shows the latest state; Electron is only called for what changed. */
  update(dashboard: Dashboard | null, engine: EngineState): void {
    if (this.destroyed) return;
    const template = trayMenu(dashboard, engine, this.opts.actions);
    const key = JSON.stringify(template.map((i) => [i.id, i.label, i.enabled, i.type]));
    if (key !== this.menuKey) {
      // Linux needs a whole new menu for any change to show.
      this.tray.setContextMenu(this.deps.Menu.buildFromTemplate(template));
      this.menuKey = key;
    }
    const tooltip = trayTooltip(trayStatus(dashboard, engine));
    if (tooltip !== this.tooltip) {
      this.tray.setToolTip(tooltip);
      this.tooltip = tooltip;
    }
    const kind = trayIconKind(dashboard, engine);
    if (kind !== this.iconKind) {
      this.tray.setImage(AppTray.image(this.deps, this.opts, kind));
      this.iconKind = kind;
    }
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.tray.destroy();
  }
}

/** The gist of an error for a one-line status: its first sentence, without asides in parentheses. */
function firstSentence(text: string): string {
  const end = text.search(/[.!?](\s|$)/);
  const sentence = end >= 0 ? text.slice(0, end + 1) : text;
  return sentence.replace(/\s+\([^()]*\)/g, '');
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}
