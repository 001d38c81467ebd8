// An API failure as the reviewer sees it: the backend's message, and the fields it named.

import type { ApiFailure } from '../api/client.ts';

export function ErrorBanner({ error, title }: { error: ApiFailure | null; title?: string }) {
  if (!error) return null;
  return (
    <div className="banner banner-error" role="alert">
      <strong>{title ?? 'The backend refused this'}</strong>
      <p>{error.message}</p>
      {error.fields.length > 0 && (
        <ul className="field-list" aria-label="Fields with problems">
          {error.fields.map((f) => (
            <li key={f}>
              <code>{f}</code>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
