import { Alert, Button, Group, Loader, Stack, Stepper } from '@mantine/core';
import { useState } from 'react';
import type { ImportMapping, ImportOptions, ImportPreview, ImportReport } from '../../../../shared/domain/contacts.ts';
import type { ChosenFile } from '../../../../shared/ipc/contacts-contract.ts';
import { call, type IpcError, toIpcError } from '../../lib/ipc.ts';
import { notifyError } from '../../lib/notify.ts';
import { SaveFileButton } from '../Contacts/SaveFileButton.tsx';
import { useContactOptions } from '../Contacts/use-contact-options.ts';
import { ChooseFileStep } from './ChooseFileStep.tsx';
import { ImportRunning } from './ImportRunning.tsx';
import { isSuppressionFile } from './import-words.ts';
import { MappingStep, type NewField } from './MappingStep.tsx';
import { OptionsStep, type WizardOptions } from './OptionsStep.tsx';
import { PreviewStep } from './PreviewStep.tsx';
import { ReportView } from './ReportView.tsx';
import { UndoLastImport } from './UndoLastImport.tsx';
import { useImportJob } from './use-import-job.ts';
import { Nav } from './WizardNav.tsx';
import { problemWithOptions, toImportOptions } from './wizard-options.ts';

const STEPS = ['File', 'What was read', 'Columns', 'Options', 'Try, then import', 'Done'] as const;

const START_OPTIONS: WizardOptions = {
  listId: '',
  newList: '',
  tags: [],
  basis: '',
  otherBasis: '',
  existing: 'skip',
};

/**
 * Choose a file → see it decoded → map columns → options → a trial run with every
 * count and problem → import with progress and Cancel → the report, and Undo.
 * Nothing is saved before the last step; the file's path never leaves main.
 */
export function ImportWizard() {
  const [step, setStep] = useState(0);
  const [file, setFile] = useState<ChosenFile | null>(null);
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [reading, setReading] = useState(false);
  const [readError, setReadError] = useState<IpcError | null>(null);
  const [mapping, setMapping] = useState<ImportMapping>({});
  const [newFields, setNewFields] = useState<NewField[]>([]);
  const [opts, setOpts] = useState<WizardOptions>(START_OPTIONS);
  const [dryReport, setDryReport] = useState<ImportReport | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [runError, setRunError] = useState<IpcError | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [refreshKey, setRefreshKey] = useState(0);
  const options = useContactOptions(refreshKey);
  const job = useImportJob();

  const read = async (chosen: ChosenFile, change: { encoding?: string; delimiter?: string } = {}) => {
    setReading(true);
    setReadError(null);
    try {
      // A change keeps the other half of the current reading; the first read detects both.
      const encoding = change.encoding ?? (change.delimiter ? preview?.layout.encoding : undefined);
      const delimiter = change.delimiter ?? (change.encoding ? (preview?.layout.delimiter ?? undefined) : undefined);
      const p = await call('imports.preview', {
        token: chosen.token,
        ...(encoding ? { encoding } : {}),
        ...(delimiter ? { delimiter } : {}),
      });
      setPreview(p);
      setMapping(p.mapping);
    } catch (err) {
      setReadError(toIpcError(err));
    } finally {
      setReading(false);
    }
  };

  const importOptions = (dryRun: boolean): ImportOptions => toImportOptions(opts, preview, mapping, newFields, dryRun);

  const run = async (dryRun: boolean) => {
    if (!file) return;
    setRunError(null);
    setCancelling(false);
    try {
      const r = await job.run(file.token, importOptions(dryRun));
      if (dryRun) setDryReport(r);
      else {
        setReport(r);
        setStep(5);
        setRefreshKey((k) => k + 1);
      }
    } catch (err) {
      setRunError(toIpcError(err));
    }
  };

  const cancel = async () => {
    setCancelling(true);
    try {
      await job.cancel();
    } catch (err) {
      notifyError(err);
    }
  };

  const restart = () => {
    setStep(0);
    setFile(null);
    setPreview(null);
    setDryReport(null);
    setReport(null);
    setRunError(null);
    setOpts(START_OPTIONS);
    setNewFields([]);
    setRefreshKey((k) => k + 1);
  };

  const optionsProblem = problemWithOptions(opts, preview);

  return (
    <Stack gap="lg" data-testid="import-wizard">
      <Stepper active={step} size="sm" allowNextStepsSelect={false} onStepClick={(s) => !job.running && setStep(s)}>
        {STEPS.map((s) => (
          <Stepper.Step key={s} label={s} />
        ))}
      </Stepper>

      {step === 0 && (
        <ChooseFileStep
          onChosen={(f) => {
            setFile(f);
            setPreview(null);
            setDryReport(null);
            setStep(1);
            void read(f);
          }}
        />
      )}

      {step === 1 && (
        <Stack gap="md">
          {reading && !preview && <Loader aria-label="Reading the file" />}
          {readError && (
            <Alert color="red" variant="light" title="The file could not be read" data-testid="import-read-error">
              {readError.message}
            </Alert>
          )}
          {preview && <PreviewStep preview={preview} loading={reading} onReread={(c) => file && read(file, c)} />}
          <Nav
            onBack={restart}
            backLabel="Choose another file"
            onNext={() => setStep(2)}
            nextDisabled={!preview || reading}
          />
        </Stack>
      )}

      {step === 2 && preview && (
        <Stack gap="md">
          <MappingStep
            preview={preview}
            mapping={mapping}
            onMapping={(m) => {
              setMapping(m);
              setDryReport(null);
            }}
            fields={options.data?.fields ?? []}
            newFields={newFields}
            onFieldCreated={(f) => setNewFields((all) => [...all.filter((x) => x.key !== f.key), f])}
          />
          <Nav
            onBack={() => setStep(1)}
            onNext={() => {
              // Lists and tags may have changed in the other tabs meanwhile.
              setRefreshKey((k) => k + 1);
              setStep(3);
            }}
            nextDisabled={mapping.email === undefined}
          />
        </Stack>
      )}

      {step === 3 && preview && (
        <Stack gap="md">
          <OptionsStep
            value={opts}
            onChange={(o) => {
              setOpts(o);
              setDryReport(null);
            }}
            lists={options.data?.lists ?? []}
            tagNames={(options.data?.tags ?? []).map((t) => t.name)}
            suppressionFile={isSuppressionFile(preview.layout.recognised)}
          />
          {optionsProblem && (
            <Alert color="orange" variant="light" data-testid="options-problem">
              {optionsProblem}
            </Alert>
          )}
          <Nav
            onBack={() => setStep(2)}
            nextLabel="Trial run"
            nextDisabled={optionsProblem !== null}
            onNext={() => {
              setStep(4);
              void run(true);
            }}
          />
        </Stack>
      )}

      {step === 4 && (
        <Stack gap="md">
          {job.running && (
            <ImportRunning
              progress={job.progress}
              dryRun={dryReport === null}
              onCancel={cancel}
              cancelling={cancelling}
            />
          )}
          {runError && (
            <Alert
              color={runError.code === 'IMPORT_CANCELLED' || cancelling ? 'gray' : 'red'}
              variant="light"
              title={cancelling ? 'Cancelled: nothing was changed' : 'The import stopped: nothing was changed'}
              data-testid="import-run-error"
            >
              {runError.message}
            </Alert>
          )}
          {dryReport && !job.running && <ReportView report={dryReport} />}
          {!job.running && (
            <Nav
              onBack={() => setStep(3)}
              nextLabel={
                dryReport
                  ? `Import ${(dryReport.records - dryReport.skipped - dryReport.blank).toLocaleString()} rows`
                  : 'Trial run again'
              }
              onNext={() => void run(dryReport === null)}
              nextTestId={dryReport ? 'import-go' : 'import-dry-again'}
            />
          )}
        </Stack>
      )}

      {step === 5 && report && (
        <Stack gap="md">
          <ReportView report={report} />
          <Group>
            {report.importId !== null && (
              <SaveFileButton
                label="Download the report"
                run={() => call('imports.downloadReport', { importId: report.importId as number })}
                testId="import-download-report"
              />
            )}
            <Button variant="default" onClick={restart} data-testid="import-another">
              Import another file
            </Button>
          </Group>
          <UndoLastImport refreshKey={refreshKey} onUndone={restart} />
        </Stack>
      )}
    </Stack>
  );
}
