import { Button, Group, Text } from '@mantine/core';
import { navigate } from '../../lib/router.ts';
import { WIZARD_STEPS } from './wizard-steps.ts';

/** Back and Next under every step; the last step leads back to the dashboard. */
export function WizardNav({
  active,
  canGoOn,
  error,
  onGo,
}: {
  active: number;
  canGoOn: boolean;
  error: string | null;
  onGo: (index: number) => void;
}) {
  const next = WIZARD_STEPS[active + 1];
  return (
    <div>
      {/* On the left: notifications appear bottom right and must never cover Next. */}
      <Group gap="sm" mt="md">
        <Button variant="default" onClick={() => onGo(active - 1)} disabled={active === 0} data-testid="setup-back">
          Back
        </Button>
        {next ? (
          <Button onClick={() => onGo(active + 1)} disabled={!canGoOn} data-testid="setup-next">
            Next: {next.label}
          </Button>
        ) : (
          <Button variant="light" onClick={() => navigate('/')} data-testid="setup-done">
            Done: back to the dashboard
          </Button>
        )}
      </Group>
      {error && (
        <Text size="sm" c="red" mt="xs" role="alert" data-testid="setup-nav-error">
          {error}
        </Text>
      )}
    </div>
  );
}
