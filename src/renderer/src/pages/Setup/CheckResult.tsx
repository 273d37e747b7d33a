import { Badge, Box, Code, Group, List, Paper, Text } from '@mantine/core';
import type { DnsCheck } from '../../../../shared/domain/dns.ts';
import { CopyValueButton } from '../../components/CopyValueButton/CopyValueButton.tsx';
import { RECORD_LABEL, STATUS_STYLE } from './check-style.ts';
import { recordInFix } from './record-fix.ts';

/** One checked record: its colour and state, what was found, what to do, and the finer points. */
export function CheckResult({ check }: { check: DnsCheck }) {
  const look = STATUS_STYLE[check.status];
  const label = RECORD_LABEL[check.record];
  return (
    <Paper
      withBorder
      p="md"
      data-testid={`setup-check-${check.record}`}
      data-status={check.status}
      style={{ borderLeft: `5px solid var(--mantine-color-${look.color}-6)` }}
    >
      <Group justify="space-between" wrap="nowrap" align="flex-start" gap="sm">
        <Text fw={700}>{label}</Text>
        <Badge
          color={look.color}
          variant="filled"
          autoContrast
          tt="none"
          leftSection={<span aria-hidden>{look.icon}</span>}
        >
          {look.label}
        </Badge>
      </Group>
      <Text size="sm" mt={4} data-testid="check-message">
        {check.message}
      </Text>
      {check.fix && <Fix fix={check.fix} label={label} record={check.record} />}
      {check.details.length > 0 && (
        <List size="sm" c="dimmed" mt="xs" spacing={2}>
          {check.details.map((d) => (
            <List.Item key={d}>{d}</List.Item>
          ))}
        </List>
      )}
    </Paper>
  );
}

function Fix({ fix, label, record }: { fix: string; label: string; record: string }) {
  const value = recordInFix(fix);
  const words = value ? fix.slice(0, fix.lastIndexOf(value)).trimEnd() : fix;
  return (
    <Box mt="xs" data-testid="check-fix">
      <Text size="sm">
        <b>What to do:</b> {words}
      </Text>
      {value && (
        <Group gap="sm" wrap="nowrap" align="flex-start" mt={4}>
          <Code block style={{ flex: 1, whiteSpace: 'pre-wrap', wordBreak: 'break-all' }} data-testid="check-fix-value">
            {value}
          </Code>
          <CopyValueButton value={value} label={`${label} record`} testId={`copy-fix-${record}`} />
        </Group>
      )}
    </Box>
  );
}
