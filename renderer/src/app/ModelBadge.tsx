// The model status badge: what the engine is doing right now, from GET /api/model at first and then
// from the pushed "model" events.

import { useEffect, useState } from 'react';
import type { ApiClient } from '../api/client.ts';
import type { ModelStatus } from '../../../core/model/types.ts';

export function describeModel(s: ModelStatus, engine?: string): { label: string; tone: 'ok' | 'busy' | 'warn' | 'error' } {
  switch (s.state) {
    case 'absent':
      return { label: engine === 'drafter' ? 'No model: drafter' : 'No model loaded', tone: 'warn' };
    case 'downloading':
      return { label: `Downloading ${s.model} ${Math.round(s.percent)}%`, tone: 'busy' };
    case 'loading':
      return { label: `Loading ${s.model} ${Math.round(s.percent)}%`, tone: 'busy' };
    case 'ready':
      return { label: `Model ready: ${s.model}${s.gpu ? ` (${s.gpu})` : ' (CPU)'}`, tone: 'ok' };
    case 'generating':
      return { label: `Generating (${s.tokensPerSecond.toFixed(0)} tok/s, ${s.queueDepth} queued)`, tone: 'busy' };
    case 'error':
      return { label: `Model error: ${s.message}`, tone: 'error' };
    default:
      void (s satisfies never);
      return { label: 'Unknown model state', tone: 'warn' };
  }
}

export function ModelBadge({ api, pushed }: { api: ApiClient; pushed: ModelStatus | null }) {
  const [engine, setEngine] = useState<string>();
  const [initial, setInitial] = useState<ModelStatus | null>(null);
  useEffect(() => {
    void api.model().then((r) => {
      if (r.ok) {
        setEngine(r.data.engine);
        setInitial(r.data.status);
      }
    });
  }, [api]);
  const status = pushed ?? initial;
  if (!status) return null;
  const d = describeModel(status, engine);
  return (
    <span className={`badge badge-${d.tone}`} role="status" aria-label={`Model status: ${d.label}`}>
      {d.label}
    </span>
  );
}
