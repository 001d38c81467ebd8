// The backend's own periodic work, when it is failing: shown above every screen, because nobody
// is waiting on it and it would otherwise fail unnoticed (a failing retention sweep keeps page
// content past the period the admin chose).

import type { BackgroundReport } from '../../../core/server/backgroundTasks.ts';
import { when } from './format.ts';

const CONSEQUENCE: Record<keyof BackgroundReport, string> = {
  retention: 'Page content and breakdowns past the retention period are not being deleted until it works again.',
};

export function BackgroundAlert({ report }: { report: BackgroundReport | null }) {
  if (!report) return null;
  const failing = (Object.keys(report) as (keyof BackgroundReport)[]).filter((k) => report[k].state === 'failed' && report[k].failure);
  if (failing.length === 0) return null;
  return (
    <div className="banner banner-error" role="alert" aria-label="Background task failing">
      {failing.map((k) => {
        const f = report[k].failure!;
        return (
          <p key={k}>
            <strong>{f.message}</strong> ({when(f.at)}
            {f.consecutive > 1 ? `, ${f.consecutive} times in a row` : ''}). {CONSEQUENCE[k]} The backend retries on its own; its log has the details.
          </p>
        );
      })}
    </div>
  );
}
