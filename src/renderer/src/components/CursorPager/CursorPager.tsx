import { Button, Group } from '@mantine/core';

/**
 * First / Previous / Next for a page read with a keyset cursor (the delivery log, the
 * contacts): the page answers with `previous` and `next` cursors, null at either end.
 */
export function CursorPager(props: {
  onFirstPage: boolean;
  previous: string | null | undefined;
  next: string | null | undefined;
  onFirst: () => void;
  /** Goes to the page the cursor names; `step` is -1 or +1 for the page number shown. */
  onGo: (cursor: string, step: -1 | 1) => void;
  /** data-testid prefix: `${testId}-first`, `-previous`, `-next`. */
  testId: string;
}) {
  const { previous, next } = props;
  return (
    <Group gap="xs">
      <Button
        variant="default"
        size="xs"
        disabled={props.onFirstPage}
        onClick={props.onFirst}
        data-testid={`${props.testId}-first`}
      >
        First page
      </Button>
      <Button
        variant="default"
        size="xs"
        disabled={!previous}
        onClick={() => previous && props.onGo(previous, -1)}
        data-testid={`${props.testId}-previous`}
      >
        Previous
      </Button>
      <Button
        variant="default"
        size="xs"
        disabled={!next}
        onClick={() => next && props.onGo(next, 1)}
        data-testid={`${props.testId}-next`}
      >
        Next
      </Button>
    </Group>
  );
}
