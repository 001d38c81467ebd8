// The admin settings page (UI Kit, Confluence global settings): backend URL, API key and Jira
// project key, with Save and Test connection. Thin over its resolvers, which check the user is a
// Confluence admin, validate, check the host against the deployed manifest, store the key as a
// secret and word every message; the key field is write-only and starts empty. Labels are
// translations (locales/*.json).

import React, { useEffect, useState } from 'react';
import ForgeReconciler, { Button, ButtonGroup, ErrorMessage, Heading, HelperMessage, I18nProvider, Label, SectionMessage, Spinner, Stack, Text, Textfield, useTranslation } from '@forge/react';
import { makeInvoke } from '@forge/bridge';
import type { SettingsDefinitions } from '#src/resolvers/definitions';
import type { FieldProblem, SettingsView } from '#src/settings/settingsStore';

const invoke = makeInvoke<SettingsDefinitions>();

type Notice = { appearance: 'success' | 'warning' | 'error'; title: string; text: string };

/** Failures whose wording is fixed are shown in the user's language; the others carry details in English. */
function errorText(t: (key: string, fallback?: string) => string, f: { code: string; message: string }): string {
  const text = t(`errors.${f.code}`, '');
  return text && text !== `errors.${f.code}` ? text : f.message;
}

/** An invoke that Forge rejects (time limit, network) becomes a failure the page can show. */
async function safely<T>(call: () => Promise<T>): Promise<T | { ok: false; code: string; message: string; problems?: FieldProblem[] }> {
  try {
    return await call();
  } catch (err) {
    return { ok: false, code: 'invoke_failed', message: `Spec2Tickets did not answer in time (${err instanceof Error ? err.message : String(err)}). Try again.` };
  }
}

function App() {
  const { t } = useTranslation();
  const [saved, setSaved] = useState<SettingsView | null>(null);
  const [backendUrl, setBackendUrl] = useState('');
  const [jiraProjectKey, setJiraProjectKey] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [busy, setBusy] = useState<'save' | 'test' | null>(null);

  useEffect(() => {
    void safely(() => invoke('getSettings')).then((res) => {
      if (!res.ok) return setNotice({ appearance: 'error', title: t('settings.loadFailed', 'Could not load the settings'), text: errorText(t, res) });
      setSaved(res.settings);
      setBackendUrl(res.settings.backendUrl ?? '');
      setJiraProjectKey(res.settings.jiraProjectKey ?? '');
    });
  }, []);

  const save = async () => {
    setBusy('save');
    const res = await safely(() => invoke('saveSettings', { backendUrl, jiraProjectKey, apiKey }));
    setBusy(null);
    if (!res.ok) {
      setProblems(res.problems ?? []);
      return setNotice({ appearance: 'error', title: t('settings.notSaved', 'Not saved'), text: errorText(t, res) });
    }
    setProblems([]);
    setSaved(res.settings);
    setApiKey('');
    setNotice({ appearance: 'success', title: t('settings.saved', 'Saved'), text: t('settings.savedText', 'Spec2Tickets will use these settings from now on.') });
  };

  const test = async () => {
    setBusy('test');
    const res = await safely(() => invoke('testConnection', { backendUrl, apiKey }));
    setBusy(null);
    if (!res.ok) {
      setProblems(res.problems ?? []);
      return setNotice({ appearance: 'error', title: t('settings.testFailed', 'Connection failed'), text: errorText(t, res) });
    }
    setProblems([]);
    setNotice({ appearance: res.health.status === 'ok' ? 'success' : 'warning', title: t('settings.testWorks', 'Connection works'), text: res.message });
  };

  if (!saved && !notice) return <Spinner label={t('settings.loading', 'Loading settings')} />;
  const problemFor = (field: FieldProblem['field']) => problems.find((p) => p.field === field)?.message;
  return (
    <Stack space="space.200">
      <Heading as="h2">Spec2Tickets</Heading>
      <Text>{t('settings.intro', "Connect this Confluence site to your Spec2Tickets backend. Its host must be the one this app was deployed for (npm run forge:configure; see the installation guide).")}</Text>
      {notice && (
        <SectionMessage appearance={notice.appearance} title={notice.title}>
          <Text>{notice.text}</Text>
        </SectionMessage>
      )}
      <Stack space="space.050">
        <Label labelFor="backendUrl">{t('settings.backendUrl', 'Backend URL')}</Label>
        <Textfield id="backendUrl" name="backendUrl" value={backendUrl} placeholder="https://spec2tickets.acme.example" isInvalid={!!problemFor('backendUrl')} onChange={(e) => setBackendUrl(String(e.target.value ?? ''))} />
        {problemFor('backendUrl') ? <ErrorMessage>{problemFor('backendUrl')}</ErrorMessage> : <HelperMessage>{t('settings.backendUrlHelp', "The https address of the backend's public listener, as your reverse proxy publishes it.")}</HelperMessage>}
      </Stack>
      <Stack space="space.050">
        <Label labelFor="apiKey">{t('settings.apiKey', 'API key')}</Label>
        <Textfield id="apiKey" name="apiKey" type="password" value={apiKey} placeholder={saved?.apiKeySet ? t('settings.apiKeyKeep', 'A key is saved; leave empty to keep it') : 's2t_…'} isInvalid={!!problemFor('apiKey')} onChange={(e) => setApiKey(String(e.target.value ?? ''))} />
        {problemFor('apiKey') ? <ErrorMessage>{problemFor('apiKey')}</ErrorMessage> : <HelperMessage>{t('settings.apiKeyHelp', 'Create one in Spec2Tickets under API keys. It is stored as a secret and never shown again; a new backend URL needs it entered again.')}</HelperMessage>}
      </Stack>
      <Stack space="space.050">
        <Label labelFor="jiraProjectKey">{t('settings.projectKey', 'Jira project key')}</Label>
        <Textfield id="jiraProjectKey" name="jiraProjectKey" value={jiraProjectKey} placeholder="PAY" isInvalid={!!problemFor('jiraProjectKey')} onChange={(e) => setJiraProjectKey(String(e.target.value ?? ''))} />
        {problemFor('jiraProjectKey') ? <ErrorMessage>{problemFor('jiraProjectKey')}</ErrorMessage> : <HelperMessage>{t('settings.projectKeyHelp', 'New breakdowns are created in this project (a reviewer can still change it before approving).')}</HelperMessage>}
      </Stack>
      <ButtonGroup label={t('settings.actions', 'Settings actions')}>
        <Button appearance="primary" onClick={() => void save()} isDisabled={busy !== null}>
          {t('settings.save', 'Save')}
        </Button>
        <Button onClick={() => void test()} isDisabled={busy !== null}>
          {t('settings.test', 'Test connection')}
        </Button>
      </ButtonGroup>
      {busy && <Spinner size="small" label={busy === 'save' ? t('settings.saving', 'Saving') : t('settings.testing', 'Testing the connection')} />}
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
