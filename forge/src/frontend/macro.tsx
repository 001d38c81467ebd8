// The "Generate Jira breakdown" macro (UI Kit). Thin over its resolvers: a button that requests a
// breakdown, then the job's status as the resolver words it, polled with backoff (polling.ts) so a
// failed or rejected call shows a message and retries instead of spinning forever, with a Refresh
// button once polling stops, the reviewer's rejection reason, a note when the page has changed
// since the breakdown, and links to the created issues. When the page changed since its issues were
// made in Jira, it says so and offers "Update the Jira issues from this version", which only asks the
// backend: a reviewer approves the updates in Spec2Tickets, and the status follows that job. The
// macro's own words are translations (locales/*.json); the status sentences come from the resolver.

import React, { useCallback, useEffect, useRef, useState } from 'react';
import ForgeReconciler, { Button, I18nProvider, Inline, Link, List, ListItem, Lozenge, ProgressBar, SectionMessage, Spinner, Stack, Strong, Text, useTranslation } from '@forge/react';
import { makeInvoke } from '@forge/bridge';
import type { MacroDefinitions } from '#src/resolvers/definitions';
import type { MacroJobView } from '#src/macro/macroJobView';
import { afterPoll, startPolling, type PollState } from '#src/macro/polling';

const invoke = makeInvoke<MacroDefinitions>();

const LOZENGE = {
  neutral: 'default',
  progress: 'inprogress',
  attention: 'new',
  success: 'success',
  failure: 'removed',
} as const satisfies Record<MacroJobView['tone'], 'default' | 'inprogress' | 'new' | 'success' | 'removed'>;

type StatusAnswer = Awaited<ReturnType<MacroDefinitions['getJobStatus']>>;
type T = (key: string, fallback?: string) => string;

/** A translated sentence with {name} values filled in; the resolver's English when there is no translation. */
function phrase(t: T, key: string, english: string, params: Record<string, string | number> = {}): string {
  const template = t(key, '');
  if (!template || template === key) return english;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** Failures whose wording is fixed are shown in the user's language; the others carry details in English. */
const errorText = (t: T, f: { code: string; message: string }) => phrase(t, `errors.${f.code}`, f.message);

/** An invoke that Forge rejects (time limit, network) becomes a failure like any other. */
async function safely<T>(call: () => Promise<T>, fallback: (message: string) => T): Promise<T> {
  try {
    return await call();
  } catch (err) {
    return fallback(err instanceof Error ? err.message : String(err));
  }
}

function App() {
  const { t } = useTranslation();
  const [job, setJob] = useState<MacroJobView | null>(null);
  const [projectKey, setProjectKey] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [requesting, setRequesting] = useState(false);
  const [stopped, setStopped] = useState<'quiet' | 'failing' | null>(null);
  const poll = useRef<PollState>(startPolling(Date.now()));
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const schedule = useCallback((fn: () => void, ms: number) => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(fn, ms);
  }, []);

  const refresh = useCallback(
    async (jobId?: string): Promise<void> => {
      const res: StatusAnswer = await safely(
        () => invoke('getJobStatus', jobId ? { jobId } : {}),
        (message) => ({ ok: false, code: 'invoke_failed', message: t('macro.invokeFailed', 'Spec2Tickets did not answer in time.') + ` (${message})` }),
      );
      setLoading(false);
      let decision;
      if (!res.ok) {
        decision = afterPoll(poll.current, { ok: false }, Date.now());
        setProblem(errorText(t, res));
      } else {
        setProblem(null);
        setJob(res.job);
        setProjectKey(res.jiraProjectKey);
        const j = res.job;
        decision = afterPoll(
          poll.current,
          { ok: true, fingerprint: j ? `${j.jobId}:${j.state}:${j.updatedAt}:${j.summary}` : null, pollAfterMs: j ? j.pollAfterMs : null, awaitingReview: j?.state === 'awaiting_review' },
          Date.now(),
        );
      }
      poll.current = decision.state;
      if (decision.next === 'poll') {
        const id = res.ok ? res.job?.jobId : jobId;
        schedule(() => void refresh(id), decision.delayMs);
      } else if (decision.reason !== 'finished') {
        setStopped(decision.reason);
      }
    },
    [schedule, t],
  );

  useEffect(() => {
    void refresh();
    return () => {
      if (timer.current) clearTimeout(timer.current);
    };
  }, [refresh]);

  const restart = (jobId?: string) => {
    poll.current = startPolling(Date.now());
    setStopped(null);
    void refresh(jobId);
  };

  const request = async (kind: 'requestBreakdown' | 'requestResync') => {
    setRequesting(true);
    const res = await safely(
      () => invoke(kind, {}),
      (message) => ({ ok: false as const, code: 'invoke_failed', message: t('macro.invokeFailed', 'Spec2Tickets did not answer in time.') + ` (${message})` }),
    );
    setRequesting(false);
    if (!res.ok) return setProblem(errorText(t, res));
    setProblem(null);
    restart(res.jobId);
  };

  if (loading) return <Spinner label={t('macro.loading', 'Loading Spec2Tickets status')} />;
  const finished = job === null || job.pollAfterMs === null;
  // A page whose issues are in Jira is updated, not broken down from scratch.
  const offerNew = !job?.resyncOffer && (finished || job.pageChanged !== null);
  return (
    <Stack space="space.100">
      {problem && (
        <SectionMessage appearance="error" title={t('macro.problemTitle', 'Spec2Tickets')}>
          <Text>{problem}</Text>
          {!stopped && <Text>{t('macro.retrying', 'Trying again shortly.')}</Text>}
        </SectionMessage>
      )}
      {job && <JobStatus job={job} projectKey={projectKey} />}
      {job?.resync && job.resync.from !== null && job.resync.to !== null && (
        <Text>{phrase(t, 'macro.resyncOf', `Updates the Jira issues made from version ${job.resync.from} with version ${job.resync.to} of the page.`, { from: job.resync.from, to: job.resync.to })}</Text>
      )}
      {job?.resyncOffer && (
        <SectionMessage appearance="information" title={t('macro.resyncOfferTitle', 'The page has changed since its Jira issues were made')}>
          <Text>{phrase(t, 'macro.resyncOffer', `The Jira issues were made from version ${job.resyncOffer.from}; the page is now at version ${job.resyncOffer.to}. A reviewer approves every change in Spec2Tickets before Jira is updated.`, job.resyncOffer)}</Text>
          {job.canRequest && (
            <Inline space="space.100" alignBlock="center">
              <Button appearance="primary" onClick={() => void request('requestResync')} isDisabled={requesting}>
                {t('macro.resyncRequest', 'Update the Jira issues from this version')}
              </Button>
              {requesting && <Spinner size="small" label={t('macro.requesting', 'Requesting')} />}
            </Inline>
          )}
        </SectionMessage>
      )}
      {job?.pageChanged && !job.resyncOffer && (
        <SectionMessage appearance="information" title={t('macro.pageChangedTitle', 'The page has changed')}>
          <Text>{phrase(t, 'macro.pageChanged', `This breakdown was made from version ${job.pageChanged.from}; the page is now at version ${job.pageChanged.to}.`, job.pageChanged)}</Text>
        </SectionMessage>
      )}
      {stopped && (
        <Inline space="space.100" alignBlock="center">
          <Text>{stopped === 'failing' ? t('macro.stoppedFailing', 'Stopped checking because Spec2Tickets could not be reached.') : t('macro.stoppedQuiet', 'Stopped checking for now; nothing changed for a while.')}</Text>
          <Button onClick={() => restart(job?.jobId)}>{t('macro.refresh', 'Refresh')}</Button>
        </Inline>
      )}
      {offerNew && (job === null || job.canRequest) && (
        <Inline space="space.100" alignBlock="center">
          <Button appearance="primary" onClick={() => void request('requestBreakdown')} isDisabled={requesting}>
            {job ? (job.pageChanged ? t('macro.requestForChanged', 'Generate a breakdown of the changed page') : t('macro.requestAgain', 'Generate a new Jira breakdown')) : t('macro.request', 'Generate Jira breakdown')}
          </Button>
          {requesting && <Spinner size="small" label={t('macro.requesting', 'Requesting')} />}
        </Inline>
      )}
    </Stack>
  );
}

function JobStatus({ job, projectKey }: { job: MacroJobView; projectKey: string | null }) {
  const { t } = useTranslation();
  return (
    <Stack space="space.075">
      <Inline space="space.100" alignBlock="center">
        <Lozenge appearance={LOZENGE[job.tone]}>{t(`macro.state.${job.state}`, job.label)}</Lozenge>
        <Text>{phrase(t, `macro.summary.${job.summaryKey}`, job.summary, job.summaryParams)}</Text>
      </Inline>
      {job.fraction !== null && job.pollAfterMs !== null && <ProgressBar value={job.fraction} ariaLabel={t('macro.progress', 'Progress')} />}
      {job.issues.length > 0 && (
        <Stack space="space.050">
          <Text>
            <Strong>
              {t('macro.createdIn', 'Created in Jira')}
              {projectKey ? ` (${projectKey})` : ''}:
            </Strong>
          </Text>
          <List type="unordered">
            {job.issues.map((i) => (
              <ListItem key={i.key}>
                <Link href={i.url} openNewTab>
                  {i.key}
                </Link>
              </ListItem>
            ))}
          </List>
        </Stack>
      )}
      {job.error && job.state !== 'failed' && <Text>{job.error}</Text>}
    </Stack>
  );
}

ForgeReconciler.render(
  <React.StrictMode>
    <I18nProvider>
      <App />
    </I18nProvider>
  </React.StrictMode>,
);
