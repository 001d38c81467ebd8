// What the tray shows for the backend and its model: one status line (tooltip and the first,
// disabled menu entry) and a colour for the icon. A model on a remote inference server is shown as
// "Remote: <host>" with the server's state (never its URL path or key). Pure, so every state is
// tested without a tray.

import type { ModelStatus } from '../core/model/types.ts';
import type { SupervisorState } from './supervisor.ts';

export type TrayColour = 'grey' | 'blue' | 'green' | 'amber' | 'red';

export interface TrayView {
  /** Tooltip and first menu line, e.g. "Spec2Tickets — model downloading 42%". */
  status: string;
  colour: TrayColour;
}

const APP = 'Spec2Tickets';
const pct = (n: number) => `${Math.floor(n)}%`;
const clip = (s: string, max = 120) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

export function modelLine(m: ModelStatus): { text: string; colour: TrayColour } {
  if ((m.state === 'ready' || m.state === 'generating' || m.state === 'error') && m.remote) {
    const where = `Remote: ${clip(m.remote.host, 60)}`;
    if (m.state === 'ready') return { text: `${where} — ${clip(m.remote.server, 40)} ready (${clip(m.model, 60)})`, colour: 'green' };
    if (m.state === 'generating') return { text: `${where} — generating (${m.queueDepth} queued, ${Math.round(m.tokensPerSecond)} tok/s)`, colour: 'amber' };
    return { text: `${where} — error: ${clip(m.message)}`, colour: 'red' };
  }
  switch (m.state) {
    case 'absent':
      return { text: 'no model (drafter writes breakdowns)', colour: 'grey' };
    case 'downloading':
      return { text: `model downloading ${pct(m.percent)}`, colour: 'blue' };
    case 'loading':
      return { text: `model loading ${pct(m.percent)}`, colour: 'blue' };
    case 'ready':
      return { text: `model ready on ${m.gpu ? `GPU (${clip(m.gpu, 40)})` : 'CPU'}`, colour: 'green' };
    case 'generating':
      return { text: `model generating (${m.queueDepth} queued, ${Math.round(m.tokensPerSecond)} tok/s)`, colour: 'amber' };
    case 'error':
      return { text: `model error: ${clip(m.message)}`, colour: 'red' };
    default:
      void (m satisfies never);
      return { text: 'unknown', colour: 'grey' };
  }
}

export function trayView(s: SupervisorState, now: number): TrayView {
  switch (s.phase) {
    case 'idle':
    case 'starting':
      return { status: `${APP} — backend starting…`, colour: 'grey' };
    case 'running': {
      if (!s.model) return { status: `${APP} — running`, colour: 'green' };
      const m = modelLine(s.model);
      return { status: `${APP} — ${m.text}`, colour: m.colour };
    }
    case 'restarting':
      return {
        status: `${APP} — backend error: ${clip(s.error)}; restarting in ${Math.max(0, Math.ceil((s.retryAt - now) / 1000))} s`,
        colour: 'red',
      };
    case 'failed':
      return { status: `${APP} — backend stopped: ${clip(s.error, 240)}`, colour: 'red' };
    case 'stopping':
      return { status: `${APP} — stopping…`, colour: 'grey' };
    case 'stopped':
      return { status: `${APP} — backend stopped`, colour: 'grey' };
    default:
      void (s satisfies never);
      return { status: APP, colour: 'grey' };
  }
}
