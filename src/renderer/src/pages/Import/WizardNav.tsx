import { Button, Group } from '@mantine/core';

/** Back and Next under each step of the import wizard. */
export function Nav({
  onBack,
  onNext,
  backLabel = 'Back',
  nextLabel = 'Next',
  nextDisabled,
  nextTestId = 'import-next',
}: {
  onBack: () => void;
  onNext: () => void;
  backLabel?: string;
  nextLabel?: string;
  nextDisabled?: boolean;
  nextTestId?: string;
}) {
  return (
    <Group justify="space-between">
      <Button variant="default" onClick={onBack} data-testid="import-back">
        {backLabel}
      </Button>
      <Button onClick={onNext} disabled={nextDisabled} data-testid={nextTestId}>
        {nextLabel}
      </Button>
    </Group>
  );
}
