// The "Generate Jira breakdown" macro (UI Kit). Thin over its resolvers: a button that requests a
// breakdown, then the job's status as the resolver words it, polled at the interval the resolver
// asks for, with links to the created issues. All wording and decisions live in macroJobView.ts.

import React, { useCallback, useEffect, useState } from 'react';
import ForgeReconciler, { Button, Inline, Link, List, ListItem, Lozenge, ProgressBar, SectionMessage, Spinner, Stack, Strong, Text, useProductContext } from '@forge/react';
import { makeInvoke } from '@forge/bridge';
import type { MacroDefinitions } from '../resolvers/definitions.ts';
import type { MacroJobView } from '../macro/macroJobView.ts';

const invoke = makeInvoke<MacroDefinitions>();

const LOZENGE = {
  neutral: 'default',
  progress: 'inprogress',
  attention: 'new',
  success: 'success',
  failure: 'removed',
} as const satisfies Record<MacroJobView['tone'], 'default' | 'inprogress' | 'new' | 'success' | 'removed'>;

function App() {
  const context = useProductContext();
  const [job, setJob] = useState<MacroJobView | null>(null);
  const [projectKey, setProjectKey] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [requesting, setRequesting] = useState(false);

  const refresh = useCallback(async (jobId?: string) => {
    const res = await invoke('getJobStatus', jobId ? { jobId } : {});
    setLoading(false);
    if (!res.ok) return setProblem(res.message);
    setProblem(null);
    setJob(res.job);
    setProjectKey(res.jiraProjectKey);
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  // Poll only while the job can still change; the resolver says how often.
  useEffect(() => {
    if (!job || job.pollAfterMs === null) return;
    const t = setTimeout(() => void refresh(job.jobId), job.pollAfterMs);
    return () => clearTimeout(t);
  }, [job, refresh]);

  const request = async () => {
    setRequesting(true);
    const version = (context?.extension as { content?: { version?: unknown } } | undefined)?.content?.version;
    const res = await invoke('requestBreakdown', typeof version === 'number' ? { pageVersion: version } : {});
    setRequesting(false);
    if (!res.ok) return setProblem(res.message);
    setProblem(null);
    await refresh(res.jobId);
  };

  if (loading) return <Spinner label="Loading Spec2Tickets status" />;
  const finished = job === null || job.pollAfterMs === null;
  return (
    <Stack space="space.100">
      {problem && (
        <SectionMessage appearance="error" title="Spec2Tickets">
          <Text>{problem}</Text>
        </SectionMessage>
      )}
      {job && <JobStatus job={job} projectKey={projectKey} />}
      {finished && (
        <Inline space="space.100" alignBlock="center">
          <Button appearance="primary" onClick={() => void request()} isDisabled={requesting}>
            {job ? 'Generate a new Jira breakdown' : 'Generate Jira breakdown'}
          </Button>
          {requesting && <Spinner size="small" label="Requesting" />}
        </Inline>
      )}
    </Stack>
  );
}

function JobStatus({ job, projectKey }: { job: MacroJobView; projectKey: string | null }) {
  return (
    <Stack space="space.075">
      <Inline space="space.100" alignBlock="center">
        <Lozenge appearance={LOZENGE[job.tone]}>{job.label}</Lozenge>
        <Text>{job.summary}</Text>
      </Inline>
      {job.fraction !== null && job.pollAfterMs !== null && <ProgressBar value={job.fraction} ariaLabel="Progress" />}
      {job.issues.length > 0 && (
        <Stack space="space.050">
          <Text>
            <Strong>Created in Jira{projectKey ? ` (${projectKey})` : ''}:</Strong>
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
    <App />
  </React.StrictMode>,
);
