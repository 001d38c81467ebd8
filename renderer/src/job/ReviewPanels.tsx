// The panels below the workspace that a reviewer reads before deciding: coverage and findings (with
// the generator's warnings), the changes against the generated version (opened on request), and
// possible duplicates in Jira. They mount once the tree has painted.

import type { JobDetailResponse } from '../../../core/server/admin.ts';
import type { Breakdown } from '../../../core/breakdown/schema.ts';
import type { ApiClient } from '../api/client.ts';
import { DuplicatesPanel, QualityPanel } from './JobPanels.tsx';
import { DiffSection } from './DiffPanel.tsx';
import type { JobActions } from './useJobActions.ts';
import type { WorkspaceData } from './useWorkspaceData.ts';

export function ReviewPanels(p: { api: ApiClient; jobId: string; detail: JobDetailResponse; draft: Breakdown; saved: Breakdown | null; inReview: boolean; busy: boolean; data: WorkspaceData; actions: JobActions }) {
  const { detail, draft, inReview, data, actions: a } = p;
  return (
    <>
      <section className="panel" aria-labelledby="quality-title">
        <h2 id="quality-title">Coverage and findings</h2>
        <QualityPanel detail={detail} blocks={data.blocks} canEdit={inReview} onSelect={a.showInEditor} onShowBlock={a.showBlock} onAddStory={a.addStory} />
        {draft.warnings.length > 0 && (
          <ul className="findings">
            {draft.warnings.map((w, i) => (
              <li key={i} className="finding finding-warning">
                <span className="sev">warning</span> {w}
              </li>
            ))}
          </ul>
        )}
      </section>

      <DiffSection api={p.api} jobId={p.jobId} diff={detail.breakdown.diff} generated={detail.breakdown.generated} saved={p.saved} onSelect={a.showInEditor} />

      {(inReview || data.duplicates.length > 0 || detail.duplicates.lastFailure) && (
        <section className="panel" aria-labelledby="dup-title">
          <h2 id="dup-title">Possible duplicates in Jira</h2>
          <DuplicatesPanel
            items={data.duplicates}
            decisions={detail.duplicates.decisions}
            noLongerOnPage={detail.duplicates.noLongerOnPage ?? []}
            searchedAt={detail.duplicates.searchedAt}
            lastFailure={detail.duplicates.lastFailure ?? null}
            canDecide={inReview}
            busy={p.busy}
            onSearch={a.onSearch}
            onDecide={a.onDecide}
            onSelect={a.showInEditor}
          />
        </section>
      )}
    </>
  );
}
