import { Alert, Button, Stack, Text } from '@mantine/core';
import type { Warning } from '../../../../shared/domain/dashboard.ts';
import { navigate } from '../../lib/router.ts';

const COLORS: Record<Warning['severity'], string> = { error: 'red', warning: 'orange', info: 'blue' };

/** Problems only the user can fix, most serious first, each with a button to where it is fixed. */
export function WarningList({ warnings }: { warnings: Warning[] }) {
  if (warnings.length === 0) return null;
  const order = { error: 0, warning: 1, info: 2 };
  const sorted = [...warnings].sort((a, b) => order[a.severity] - order[b.severity]);
  return (
    <Stack gap="sm" data-testid="warnings">
      {sorted.map((w) => (
        <Alert
          key={`${w.kind}:${w.title}`}
          color={COLORS[w.severity]}
          variant="light"
          title={w.title}
          data-testid={`warning-${w.kind}`}
        >
          <Text size="sm">{w.message}</Text>
          {w.action && (
            <Button
              size="xs"
              variant="light"
              color={COLORS[w.severity]}
              mt="xs"
              onClick={() => w.action && navigate(w.action.route)}
            >
              {w.action.label}
            </Button>
          )}
        </Alert>
      ))}
    </Stack>
  );
}
