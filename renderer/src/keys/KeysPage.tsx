// API keys for the Forge app (public listener): create, rotate, revoke. A new key is shown once,
// with a copy button; afterwards only its prefix is known. Rotating asks first and keeps the old key
// working for a grace period the admin chooses (24 h by default), so the Forge app can be switched
// to the new key without an outage.

import { useCallback, useEffect, useState } from 'react';
import type { ApiClient, ApiFailure } from '../api/client.ts';
import type { IssuedKey, PublicKeyInfo } from '../../../core/server/apiKeys.ts';
import { ErrorBanner } from '../app/ErrorBanner.tsx';
import { when } from '../app/format.ts';

function IssuedKeyBox({ issued, onDone }: { issued: IssuedKey; onDone: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(issued.key);
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied('The clipboard is not available here: select the key and copy it by hand.');
    }
  };
  return (
    <div className="banner banner-ok issued" role="status">
      <strong>New key “{issued.name}” — copy it now, it will not be shown again.</strong>
      <div className="issued-row">
        <label htmlFor="issued-key" className="visually-hidden">
          New API key
        </label>
        <input id="issued-key" readOnly value={issued.key} onFocus={(e) => e.target.select()} className="mono" />
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
      {copied && <small>{copied}</small>}
      <small className="muted">Paste it into the Spec2Tickets Forge app's settings (Backend API key).</small>
    </div>
  );
}

/** The confirmation of a rotation, with the old key's grace period. */
function RotateConfirm({ k, busy, onRotate, onCancel }: { k: PublicKeyInfo; busy: boolean; onRotate: (graceHours: number) => void; onCancel: () => void }) {
  const [hours, setHours] = useState('24');
  const n = Number(hours);
  const valid = hours.trim() !== '' && Number.isFinite(n) && n >= 0 && n <= 720;
  return (
    <form
      className="rotate-confirm"
      aria-label={`Rotate ${k.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        if (valid) onRotate(n);
      }}
    >
      <p>
        Rotate “{k.name}”? A new key is issued now; the old one ({k.prefix}…) keeps working for the grace period below, then stops.
      </p>
      <label className="inline-field">
        Old key keeps working for (hours)
        <input type="number" min={0} max={720} step={1} value={hours} onChange={(e) => setHours(e.target.value)} aria-invalid={!valid || undefined} style={{ width: '6rem' }} />
      </label>
      {!valid && <small className="error-text">Old key keeps working for (hours) must be a number from 0 (stop at once) to 720 (30 days).</small>}
      <div className="dialog-actions">
        <button type="submit" className="primary" disabled={busy || !valid}>
          Rotate key
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Active, rotated (still working until…) or revoked. */
function keyStatus(k: PublicKeyInfo, now = Date.now()): { text: string; usable: boolean } {
  if (!k.revokedAt) return { text: 'active', usable: true };
  if (Date.parse(k.revokedAt) > now) return { text: `rotated: works until ${when(k.revokedAt)}`, usable: true };
  return { text: `revoked ${when(k.revokedAt)}`, usable: false };
}

export function KeysPage({ api }: { api: ApiClient }) {
  const [keys, setKeys] = useState<PublicKeyInfo[] | null>(null);
  const [name, setName] = useState('');
  const [issued, setIssued] = useState<IssuedKey | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [busy, setBusy] = useState(false);
  const [rotating, setRotating] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    const r = await api.keys();
    if (r.ok) setKeys(r.data.keys);
    else setError(r);
  }, [api]);
  useEffect(() => {
    void refresh();
  }, [refresh]);

  const run = async (fn: () => Promise<{ ok: true; data: unknown } | ApiFailure>, keep?: (data: unknown) => void) => {
    setBusy(true);
    const r = await fn();
    setBusy(false);
    if (!r.ok) return setError(r);
    setError(null);
    keep?.(r.data);
    await refresh();
  };

  return (
    <section aria-labelledby="keys-title" className="narrow">
      <h1 id="keys-title">API keys</h1>
      <p className="muted">The Forge app calls the backend's public listener with one of these keys. Rotate a key to replace it; revoke it to shut it out at once.</p>
      {issued && <IssuedKeyBox issued={issued} onDone={() => setIssued(null)} />}
      <ErrorBanner error={error} />
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => api.createKey(name), (d) => {
            setIssued(d as IssuedKey);
            setName('');
          });
        }}
      >
        <label htmlFor="key-name">Name of the new key</label>
        <input id="key-name" value={name} maxLength={100} placeholder="e.g. forge-production" onChange={(e) => setName(e.target.value)} aria-invalid={error?.fields.includes('name') || undefined} />
        <button type="submit" className="primary" disabled={busy}>
          Create key
        </button>
      </form>
      {keys === null ? (
        <p className="loading">Loading keys…</p>
      ) : keys.length === 0 ? (
        <p className="empty">No API keys yet.</p>
      ) : (
        <table className="keys">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Prefix</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {keys.flatMap((k) => [
              <tr key={k.id}>
                <td>{k.name}</td>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>{when(k.createdAt)}</td>
                <td>{k.lastUsedAt ? when(k.lastUsedAt) : 'never'}</td>
                <td>{keyStatus(k).text}</td>
                <td>
                  {keyStatus(k).usable && (
                    <>
                      {!k.revokedAt && rotating !== k.id && (
                        <button type="button" className="small-button" disabled={busy} onClick={() => setRotating(k.id)}>
                          Rotate…
                        </button>
                      )}{' '}
                      <button
                        type="button"
                        className="small-button danger"
                        disabled={busy}
                        onClick={() => {
                          if (window.confirm(`Revoke the key “${k.name}”? Anything using it stops working at once.`)) void run(() => api.revokeKey(k.id));
                        }}
                      >
                        Revoke
                      </button>
                    </>
                  )}
                </td>
              </tr>,
              rotating === k.id && (
                <tr key={`${k.id}-rotate`}>
                  <td colSpan={6}>
                    <RotateConfirm
                      k={k}
                      busy={busy}
                      onCancel={() => setRotating(null)}
                      onRotate={(hours) =>
                        void run(
                          () => api.rotateKey(k.id, hours),
                          (d) => {
                            setIssued(d as IssuedKey);
                            setRotating(null);
                          },
                        )
                      }
                    />
                  </td>
                </tr>
              ),
            ])}
          </tbody>
        </table>
      )}
    </section>
  );
}
