// The admin settings page (UI Kit, Confluence global settings): backend URL, API key and Jira
// project key, with Save and Test connection. Thin over its resolvers, which validate, store the
// key as a secret and word every message; the key field is write-only and starts empty.

import React, { useEffect, useState } from 'react';
import ForgeReconciler, { Button, ButtonGroup, ErrorMessage, Heading, HelperMessage, Label, SectionMessage, Spinner, Stack, Text, Textfield } from '@forge/react';
import { makeInvoke } from '@forge/bridge';
import type { SettingsDefinitions } from '../resolvers/definitions.ts';
import type { FieldProblem, SettingsView } from '../settings/settingsStore.ts';

const invoke = makeInvoke<SettingsDefinitions>();

type Notice = { appearance: 'success' | 'warning' | 'error'; title: string; text: string };

function App() {
  const [saved, setSaved] = useState<SettingsView | null>(null);
  const [backendUrl, setBackendUrl] = useState('');
  const [jiraProjectKey, setJiraProjectKey] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [busy, setBusy] = useState<'save' | 'test' | null>(null);

  useEffect(() => {
    void invoke('getSettings').then((res) => {
      if (!res.ok) return setNotice({ appearance: 'error', title: 'Could not load the settings', text: res.message });
      setSaved(res.settings);
      setBackendUrl(res.settings.backendUrl ?? '');
      setJiraProjectKey(res.settings.jiraProjectKey ?? '');
    });
  }, []);

  const save = async () => {
    setBusy('save');
    const res = await invoke('saveSettings', { backendUrl, jiraProjectKey, apiKey });
    setBusy(null);
    if (!res.ok) {
      setProblems(res.problems ?? []);
      return setNotice({ appearance: 'error', title: 'Not saved', text: res.message });
    }
    setProblems([]);
    setSaved(res.settings);
    setApiKey('');
    setNotice({ appearance: 'success', title: 'Saved', text: 'Spec2Tickets will use these settings from now on.' });
  };

  const test = async () => {
    setBusy('test');
    const res = await invoke('testConnection', { backendUrl, apiKey });
    setBusy(null);
    if (!res.ok) {
      setProblems(res.problems ?? []);
      return setNotice({ appearance: 'error', title: 'Connection failed', text: res.message });
    }
    setNotice({ appearance: res.health.status === 'ok' ? 'success' : 'warning', title: 'Connection works', text: res.message });
  };

  if (!saved && !notice) return <Spinner label="Loading settings" />;
  const problemFor = (field: FieldProblem['field']) => problems.find((p) => p.field === field)?.message;
  return (
    <Stack space="space.200">
      <Heading as="h2">Spec2Tickets</Heading>
      <Text>Connect this Confluence site to your Spec2Tickets backend. Its host must also be listed in the app's external fetch permission (see the installation guide).</Text>
      {notice && (
        <SectionMessage appearance={notice.appearance} title={notice.title}>
          <Text>{notice.text}</Text>
        </SectionMessage>
      )}
      <Stack space="space.050">
        <Label labelFor="backendUrl">Backend URL</Label>
        <Textfield id="backendUrl" name="backendUrl" value={backendUrl} placeholder="https://spec2tickets.acme.example" isInvalid={!!problemFor('backendUrl')} onChange={(e) => setBackendUrl(String(e.target.value ?? ''))} />
        {problemFor('backendUrl') ? <ErrorMessage>{problemFor('backendUrl')}</ErrorMessage> : <HelperMessage>The address of the backend's public listener, as your reverse proxy publishes it.</HelperMessage>}
      </Stack>
      <Stack space="space.050">
        <Label labelFor="apiKey">API key</Label>
        <Textfield id="apiKey" name="apiKey" type="password" value={apiKey} placeholder={saved?.apiKeySet ? 'A key is saved; leave empty to keep it' : 's2t_…'} isInvalid={!!problemFor('apiKey')} onChange={(e) => setApiKey(String(e.target.value ?? ''))} />
        {problemFor('apiKey') ? <ErrorMessage>{problemFor('apiKey')}</ErrorMessage> : <HelperMessage>Create one in Spec2Tickets under API keys. It is stored as a secret and never shown again.</HelperMessage>}
      </Stack>
      <Stack space="space.050">
        <Label labelFor="jiraProjectKey">Jira project key</Label>
        <Textfield id="jiraProjectKey" name="jiraProjectKey" value={jiraProjectKey} placeholder="PAY" isInvalid={!!problemFor('jiraProjectKey')} onChange={(e) => setJiraProjectKey(String(e.target.value ?? ''))} />
        {problemFor('jiraProjectKey') ? <ErrorMessage>{problemFor('jiraProjectKey')}</ErrorMessage> : <HelperMessage>New breakdowns are created in this project (a reviewer can still change it before approving).</HelperMessage>}
      </Stack>
      <ButtonGroup label="Settings actions">
        <Button appearance="primary" onClick={() => void save()} isDisabled={busy !== null}>
          Save
        </Button>
        <Button onClick={() => void test()} isDisabled={busy !== null}>
          Test connection
        </Button>
      </ButtonGroup>
      {busy && <Spinner size="small" label={busy === 'save' ? 'Saving' : 'Testing the connection'} />}
    </Stack>
  );
}

ForgeReconciler.render(
  <React.StrictMode>
    <App />
  </React.StrictMode>,
);
