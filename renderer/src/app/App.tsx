// The shell of the review queue: session check, navigation (hash routes, so any static server and
// the desktop window can host the page), the live event stream and the model status badge.

import { useCallback, useEffect, useState } from 'react';
import { ApiClient, type ApiFailure } from '../api/client.ts';
import { useServerEvents } from '../api/useServerEvents.ts';
import { QueuePage } from '../queue/QueuePage.tsx';
import { JobPage } from '../job/JobPage.tsx';
import { SettingsPage } from '../settings/SettingsPage.tsx';
import { KeysPage } from '../keys/KeysPage.tsx';
import { ModelsPage } from '../models/ModelsPage.tsx';
import { ModelBadge } from './ModelBadge.tsx';
import { BackgroundAlert } from './BackgroundAlert.tsx';
import { SessionExpired } from './SessionExpired.tsx';
import { confirmLeave } from './leaveGuard.ts';

export type Route = { page: 'queue' } | { page: 'job'; id: string } | { page: 'settings' } | { page: 'keys' } | { page: 'models' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const job = /^\/jobs\/([^/?#]+)/.exec(path);
  if (job) return { page: 'job', id: decodeURIComponent(job[1]!) };
  if (path.startsWith('/settings')) return { page: 'settings' };
  if (path.startsWith('/keys')) return { page: 'keys' };
  if (path.startsWith('/models')) return { page: 'models' };
  return { page: 'queue' };
}

function useRoute(): Route {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    let current = window.location.hash;
    const on = () => {
      if (window.location.hash === current) return;
      // A screen with unsaved work may keep the route: put the address back without a new entry.
      if (!confirmLeave()) {
        window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}${current}`);
        return;
      }
      current = window.location.hash;
      setHash(current);
    };
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return parseRoute(hash);
}

type Session = 'checking' | 'ok' | 'lost';

interface Boot {
  api: ApiClient;
  sessionCheck: ReturnType<ApiClient['session']>;
  /** Where a lost session is reported once the app listens; until then it is kept in lostEarly. */
  onLost: ((f: ApiFailure) => void) | null;
  lostEarly: ApiFailure | null;
}
let started: Boot | null = null;

/**
 * The one API client of the page, made on the first render and never again (a render React throws
 * away must not start the requests twice). The session check goes first (the backend answers it at
 * once); a job opened by its address loads while the session is checked, not after.
 */
function boot(): Boot {
  if (started) return started;
  const api = new ApiClient({
    onSessionLost: (f) => {
      if (started?.onLost) started.onLost(f);
      else if (started) started.lostEarly = f;
    },
  });
  started = { api, sessionCheck: api.session(), onLost: null, lostEarly: null };
  const start = parseRoute(window.location.hash);
  if (start.page === 'job') api.warm(`/jobs/${encodeURIComponent(start.id)}`);
  return started;
}

export function App() {
  const [session, setSession] = useState<Session>('checking');
  const [lostMessage, setLostMessage] = useState('');
  const { api, sessionCheck } = boot();
  useEffect(() => {
    const lost = (f: ApiFailure) => {
      setLostMessage(f.message);
      setSession('lost');
    };
    started!.onLost = lost;
    if (started!.lostEarly) lost(started!.lostEarly);
  }, []);
  const route = useRoute();

  useEffect(() => {
    // The token arrived in ?token= and is now a cookie; keep it out of the address bar and history.
    const url = new URL(window.location.href);
    if (url.searchParams.has('token')) {
      url.searchParams.delete('token');
      window.history.replaceState(null, '', url.pathname + url.search + url.hash);
    }
    void sessionCheck.then((r) => {
      if (r.ok) setSession('ok');
    });
  }, [sessionCheck]);

  const onStreamClosed = useCallback(() => {
    // EventSource gives no status; ask the API whether the session is what closed the stream.
    void api.session();
  }, [api]);
  const events = useServerEvents(session === 'ok' ? 'api/events' : '', onStreamClosed);

  if (session === 'lost') return <SessionExpired message={lostMessage} />;
  if (session === 'checking') return <p className="loading">Connecting to the Spec2Tickets backend…</p>;

  return (
    <div className="app">
      <header className="topbar">
        <a className="brand" href="#/">
          Spec2Tickets
        </a>
        <nav aria-label="Main">
          <a href="#/" aria-current={route.page === 'queue' || route.page === 'job' ? 'page' : undefined}>
            Review queue
          </a>
          <a href="#/settings" aria-current={route.page === 'settings' ? 'page' : undefined}>
            Settings
          </a>
          <a href="#/keys" aria-current={route.page === 'keys' ? 'page' : undefined}>
            API keys
          </a>
          <a href="#/models" aria-current={route.page === 'models' ? 'page' : undefined}>
            Models
          </a>
        </nav>
        <div className="topbar-status">
          <span className={`live live-${events.live}`} title="Live updates from the backend">
            {events.live === 'live' ? 'Live' : events.live === 'closed' ? 'Updates stopped' : 'Connecting…'}
          </span>
          <ModelBadge api={api} pushed={events.model} />
        </div>
      </header>
      <main>
        <BackgroundAlert report={events.background} />
        {route.page === 'queue' && <QueuePage api={api} events={events} />}
        {route.page === 'job' && <JobPage key={route.id} api={api} jobId={route.id} events={events} />}
        {route.page === 'settings' && <SettingsPage api={api} />}
        {route.page === 'keys' && <KeysPage api={api} />}
        {route.page === 'models' && <ModelsPage api={api} pushed={events.model} />}
      </main>
    </div>
  );
}
