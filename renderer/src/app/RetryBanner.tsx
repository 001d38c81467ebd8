// A read that failed, as a warning with the reason and a way to read it again.

export function RetryBanner({ lead, message, onRetry }: { lead: string; message: string; onRetry: () => void }) {
  return (
    <p className="banner banner-warning" role="alert">
      {lead}: {message}{' '}
      <button type="button" className="small-button" onClick={onRetry}>
        Try again
      </button>
    </p>
  );
}
