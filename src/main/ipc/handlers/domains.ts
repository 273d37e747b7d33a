import type { SendingDomain } from '../../../shared/ipc/contract.ts';
import { readinessOf } from '../../dns/domain-check.ts';
import type { Engine } from '../../engine/engine.ts';
import type { HandlerContext } from './index.ts';

function list(engine: Engine): SendingDomain[] {
  const keys = engine.dkim.list();
  const readiness = new Map(engine.dns.readiness().map((r) => [r.domain, r]));
  return engine.domains.list().map((domain) => ({
    domain,
    dkim: keys.filter((k) => k.domain === domain).map((k) => ({ selector: k.selector, algorithm: k.algorithm })),
    readiness: readiness.get(domain) ?? readinessOf(domain, null),
  }));
}

export function domainHandlers({ engine, live }: HandlerContext) {
  return {
    'domains.list': () => list(engine),
    'domains.add': ({ domain }: { domain: string }) => {
      engine.domains.add(domain);
      live.check();
      return list(engine);
    },
    'domains.remove': ({ domain }: { domain: string }) => {
      engine.domains.remove(domain);
      live.check();
      return list(engine);
    },
  };
}
