// The screen shown when the admin listener refuses the session token: the backend restarted (the
// token changes every launch) or the address was typed without it. Only the printed URL helps.

export function SessionExpired({ message }: { message: string }) {
  return (
    <main className="session-expired" role="alert" aria-labelledby="session-title">
      <h1 id="session-title">Your session has expired</h1>
      <p>
        This window no longer has a valid session with the Spec2Tickets backend. The session token changes every time
        the backend starts, so an older address stops working.
      </p>
      <p>
        <strong>Open the admin URL printed by the backend</strong> when it started (<code>spec2tickets serve</code> prints a
        line ending in <code>?token=…</code>; the desktop app opens it for you).
      </p>
      <p>
        Unsaved edits of a breakdown are <strong>kept in this browser</strong>: after you open the admin URL again, open the
        same job and they come back, ready to save.
      </p>
      {message && <p className="muted">The backend said: {message}</p>}
    </main>
  );
}
