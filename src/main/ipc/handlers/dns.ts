import type { WizardRoute } from '../../../shared/domain/dns.ts';
import { MailroomError } from '../../../shared/errors.ts';
import { testSendStatus } from '../../dns/test-send.ts';
import { sendRelayTest } from '../../relay/send-test.ts';
import type { HandlerContext } from './index.ts';

// The DNS wizard: thin adapters over DnsService, DkimService and the relay test.
export function dnsHandlers({ engine, live }: HandlerContext) {
  return {
    'dns.plan': ({ domain }: { domain: string }) => engine.dns.plan(domain),
    'dns.check': async ({ domain }: { domain: string }) => {
      const result = await engine.dns.check(domain);
      live.check();
      return result;
    },
    'dns.saveProgress': (input: {
      domain: string;
      step?: number;
      route?: WizardRoute | null;
      reportAddress?: string;
      recordsShown?: boolean;
    }) => {
      const { domain, ...change } = input;
      engine.dns.saveProgress(domain, change);
      return null;
    },
    'dns.generateKey': async ({ domain }: { domain: string }) => {
      const r = await engine.dkim.generate(domain);
      live.check();
      return { selector: r.selector, algorithm: r.algorithm, name: r.name, value: r.value };
    },
    'dns.sendTest': async ({ from, to }: { from: string; to: string }) => {
      const address = engine.relayAddress();
      if (!address) {
        throw new MailroomError(
          'RELAY_START',
          'The relay is not running, so the test cannot be sent. The dashboard says why it did not start.',
        );
      }
      const r = await sendRelayTest(address, from, to, { settings: engine.settings, secrets: engine.secrets });
      if (!r.queueId)
        throw new MailroomError('INTERNAL', `The relay took the test message but gave no queue id ("${r.reply}").`);
      live.check();
      return { queueId: r.queueId };
    },
    'dns.testStatus': ({ queueId }: { queueId: string }) => {
      const status = testSendStatus(engine.db, queueId);
      if (!status) throw new MailroomError('NOT_FOUND', `No message with queue id ${queueId} is in the delivery log.`);
      return status;
    },
    'dns.readiness': () => engine.dns.readiness(),
  };
}
