import { Alert, Button, Container, Stack, Stepper, Text, Title } from '@mantine/core';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { DomainCheck, DomainReadiness } from '../../../../shared/domain/dns.ts';
import { DNS_HOSTS, type DnsHost, dnsHostById } from '../../../../shared/domain/dns-hosts.ts';
import { call, toIpcError } from '../../lib/ipc.ts';
import { useLoad } from '../../lib/use-load.ts';
import { LoadFailed, Loading } from '../Settings/SettingsFrame.tsx';
import { CheckStep } from './CheckStep.tsx';
import { DkimKeyStep } from './DkimKeyStep.tsx';
import { DnsHostStep } from './DnsHostStep.tsx';
import { DomainStep } from './DomainStep.tsx';
import { RecordsStep } from './RecordsStep.tsx';
import { RouteStep } from './RouteStep.tsx';
import { defaultSetupDomain, rememberSetupDomain } from './setup-domain.ts';
import { TestSendStep } from './TestSendStep.tsx';
import { WizardNav } from './WizardNav.tsx';
import { clampStep, WIZARD_STEPS } from './wizard-steps.ts';

interface Overview {
  domains: string[];
  readiness: DomainReadiness[];
}

async function loadOverview(): Promise<Overview> {
  const [list, readiness] = await Promise.all([call('domains.list'), call('dns.readiness')]);
  return { domains: list.map((d) => d.domain), readiness };
}

const FALLBACK_HOST = DNS_HOSTS[DNS_HOSTS.length - 1] as DnsHost;
const RECORDS_STEP = 3;

/**
 * Domain setup: a step-by-step wizard that gets SPF, DKIM and DMARC published for one
 * sending domain, checks them live, and ends with a signed test message. Where the
 * person is, per domain, is saved in main and restored when the page opens again.
 */
export function SetupWizardPage() {
  const overview = useLoad(loadOverview, []);
  const [domain, setDomain] = useState<string | null>(null);
  const [active, setActive] = useState(0);
  const [hostOverride, setHostOverride] = useState<string | null>(null);
  const [check, setCheck] = useState<DomainCheck | null>(null);
  const [navError, setNavError] = useState<string | null>(null);
  // The saved step is restored for the domain the page opens with; a domain picked in
  // step 1 starts at step 1 and offers to continue where it was left.
  const restoreStep = useRef(true);
  const restoredFor = useRef<string | null>(null);
  const recordsMarked = useRef(new Set<string>());

  useEffect(() => {
    const data = overview.data;
    if (!data || (domain && data.domains.includes(domain))) return;
    setDomain(defaultSetupDomain(data.domains, data.readiness));
  }, [overview.data, domain]);

  const planLoaded = useLoad(async () => (domain ? call('dns.plan', { domain }) : null), [domain]);
  const current = planLoaded.data && planLoaded.data.plan.domain === domain ? planLoaded.data : null;
  const plan = current?.plan ?? null;
  const reloadPlan = planLoaded.reload;

  useEffect(() => {
    if (!current) return;
    if (restoredFor.current !== current.plan.domain) {
      restoredFor.current = current.plan.domain;
      if (restoreStep.current) setActive(clampStep(current.plan.step) - 1);
    }
    // Keep whichever check is newer: the one the plan came with, or a "Check now" since.
    setCheck((c) =>
      c && c.domain === current.check.domain && c.checkedAt >= current.check.checkedAt ? c : current.check,
    );
  }, [current]);

  const saveStep = (step: number) => {
    if (!domain) return;
    call('dns.saveProgress', { domain, step }).catch((err) =>
      setNavError(`Mailroom could not remember this step: ${toIpcError(err).message}`),
    );
  };

  const go = (index: number) => {
    if (index === active) return;
    setActive(index);
    setNavError(null);
    // Step 1 only picks the domain: going back to it keeps the domain's place in the wizard.
    if (index > 0) saveStep(index + 1);
    // What is published may have changed since the records were listed.
    if (index === RECORDS_STEP && plan) void reloadPlan();
  };

  const chooseDomain = (next: string) => {
    restoreStep.current = false;
    rememberSetupDomain(next);
    setHostOverride(null);
    setCheck(null);
    setNavError(null);
    setDomain(next);
  };

  // Main keeps the first showing of each record; this only saves asking twice for the same ones.
  const markRecordsShown = useCallback(
    (shown: string) => {
      const key = `${domain}\n${shown}`;
      if (!domain || recordsMarked.current.has(key)) return;
      recordsMarked.current.add(key);
      call('dns.saveProgress', { domain, recordsShown: true }).catch(() => {
        // Only the "waiting for DNS" grace period depends on it; try again next time.
        recordsMarked.current.delete(key);
      });
    },
    [domain],
  );

  const detectedHost = plan ? (dnsHostById(plan.dnsHost) ?? FALLBACK_HOST) : FALLBACK_HOST;
  const host = (hostOverride ? dnsHostById(hostOverride) : undefined) ?? detectedHost;

  const stepContent = (index: number) => {
    if (index === 0) {
      if (!overview.data) return null;
      return (
        <DomainStep
          domains={overview.data.domains}
          readiness={overview.data.readiness}
          selected={domain}
          plan={plan}
          onSelect={chooseDomain}
          onAdded={(domains, added) => {
            const data = overview.data;
            if (data) overview.set({ ...data, domains });
            if (added) chooseDomain(added);
            void overview.reload();
          }}
          onContinue={(step) => go(step - 1)}
        />
      );
    }
    if (!plan) {
      if (!domain) return <Text c="dimmed">Choose or add a domain in the first step.</Text>;
      if (planLoaded.error) {
        return <LoadFailed what={`the DNS of ${domain}`} error={planLoaded.error} onRetry={reloadPlan} />;
      }
      return <Loading label={`Looking up ${domain} in DNS`} />;
    }
    switch (index) {
      case 1:
        return <RouteStep plan={plan} onSaved={reloadPlan} />;
      case 2:
        return <DkimKeyStep plan={plan} onChanged={reloadPlan} />;
      case 3:
        return <RecordsStep plan={plan} host={host} onShown={markRecordsShown} onChanged={reloadPlan} />;
      case 4:
        return <DnsHostStep plan={plan} host={host} detected={detectedHost} onOverride={setHostOverride} />;
      case 5:
        return (
          <CheckStep domain={plan.domain} check={check?.domain === plan.domain ? check : null} onChecked={setCheck} />
        );
      default:
        return <TestSendStep key={plan.domain} domain={plan.domain} unicode={plan.unicode} />;
    }
  };

  return (
    <Container size="md" px={0}>
      <Stack gap="lg">
        <div>
          <Title order={2}>Domain setup</Title>
          <Text c="dimmed" mt={4}>
            A few records in your domain’s DNS tell Gmail, Outlook and the others that mail from your domain really
            comes from you. This guide shows exactly what to create and where, checks it, and sends you a test.
          </Text>
          {plan && (
            <Text mt="xs" data-testid="setup-current-domain">
              Setting up <b>{plan.unicode ?? plan.domain}</b>
              {plan.unicode ? ` (${plan.domain})` : ''}
            </Text>
          )}
        </div>
        {!overview.data && overview.error && (
          <LoadFailed what="your sending domains" error={overview.error} onRetry={overview.reload} />
        )}
        {!overview.data && !overview.error && <Loading label="Loading your sending domains" />}
        {plan && planLoaded.error && (
          <Alert color="red" variant="light" role="alert" title="The records shown may be out of date">
            <Text size="sm">{planLoaded.error.message}</Text>
            <Button mt="sm" size="xs" variant="default" onClick={reloadPlan}>
              Try again
            </Button>
          </Alert>
        )}
        {overview.data && (
          <>
            <Stepper active={active} onStepClick={go} size="sm" labelPosition="bottom" data-testid="setup-stepper">
              {WIZARD_STEPS.map((s, i) => (
                <Stepper.Step
                  key={s.label}
                  label={s.label}
                  description={s.description}
                  allowStepSelect={i === 0 || domain !== null}
                  loading={i === active && i > 0 && planLoaded.loading}
                  data-testid={`setup-step-${i + 1}`}
                >
                  {stepContent(i)}
                </Stepper.Step>
              ))}
            </Stepper>
            <WizardNav active={active} canGoOn={domain !== null} error={navError} onGo={go} />
          </>
        )}
      </Stack>
    </Container>
  );
}
