// The names of every IPC channel and event. This is the only module the preload
// imports, so it must stay free of runtime dependencies (no zod, no node, no electron):
// the sandboxed preload bundle then contains nothing but these lists.

/** Request/response channels: renderer → main through `invoke`. */
export const IPC_CHANNELS = [
  'app.info',
  'app.setStartAtLogin',
  'app.dataSize',
  'app.backup',
  'relay.status',
  'dashboard.get',
  'sending.setPaused',
  'log.search',
  'log.detail',
  'log.retry',
  'log.cancel',
  'log.export',
  'relay.details',
  'relay.copyPassword',
  'relay.showPassword',
  'relay.rotatePassword',
  'relay.setPort',
  'relay.sendTest',
  'settings.get',
  'settings.update',
  'route.get',
  'route.setPassword',
  'route.test',
  'domains.list',
  'domains.add',
  'domains.remove',
  'dns.plan',
  'dns.check',
  'dns.saveProgress',
  'dns.generateKey',
  'dns.sendTest',
  'dns.testStatus',
  'dns.readiness',
  'lists.list',
  'lists.create',
  'lists.rename',
  'lists.remove',
  'contacts.query',
  'contacts.get',
  'contacts.add',
  'contacts.update',
  'contacts.remove',
  'contacts.bulk',
  'contacts.tags',
  'contacts.fields',
  'contacts.export',
  'segments.list',
  'segments.create',
  'segments.update',
  'segments.remove',
  'segments.count',
  'suppressions.list',
  'suppressions.add',
  'suppressions.remove',
  'suppressions.export',
  'imports.chooseFile',
  'imports.preview',
  'imports.start',
  'imports.result',
  'imports.cancel',
  'imports.list',
  'imports.report',
  'imports.downloadReport',
  'imports.undo',
] as const;
export type IpcChannel = (typeof IPC_CHANNELS)[number];

/** Events: main → renderer through `on`. Named apart from the channels so the two never collide. */
export const IPC_EVENTS = ['engine.state', 'dashboard.changed', 'export.progress', 'imports.progress'] as const;
export type IpcEvent = (typeof IPC_EVENTS)[number];

export function isIpcChannel(name: unknown): name is IpcChannel {
  return typeof name === 'string' && (IPC_CHANNELS as readonly string[]).includes(name);
}

export function isIpcEvent(name: unknown): name is IpcEvent {
  return typeof name === 'string' && (IPC_EVENTS as readonly string[]).includes(name);
}
