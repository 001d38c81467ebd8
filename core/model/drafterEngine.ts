// The engine used when no model is configured: the deterministic drafter behind the same
// BreakdownEngine contract, so the pipeline and the review queue work without a GPU or model file.
// Drafting runs on the drafter thread (core/drafter/draftOffThread.ts), off the event loop.

import type { Breakdown } from '../breakdown/schema.ts';
import { sharedDrafterThread, type DrafterThread } from '../drafter/draftOffThread.ts';
import type { SpecDocument } from '../spec/types.ts';
import { ModelError } from './modelStore.ts';
import { StatusHub } from './statusHub.ts';
import type { BreakdownEngine, GenerateOptions, ModelStatus } from './types.ts';

const primaryLanguage = (tag: string): string => tag.split('-')[0]!.toLowerCase();

export class DrafterEngine implements BreakdownEngine {
  readonly name = 'drafter';
  private readonly hub: StatusHub;

  constructor(
    message = 'No model configured: breakdowns are drafted from the page structure. Download or import a Qwen 2.5 model in Settings → Model.',
    private readonly drafts: DrafterThread = sharedDrafterThread(),
  ) {
    this.hub = new StatusHub({ state: 'absent', message });
  }

  status(): ModelStatus {
    return this.hub.get();
  }

  onStatus(listener: (s: ModelStatus) => void): () => void {
    return this.hub.subscribe(listener);
  }

  async generate(doc: SpecDocument, options: GenerateOptions = {}): Promise<Breakdown> {
    if (options.signal?.aborted) throw new ModelError('cancelled', 'Generation cancelled.');
    options.onProgress?.({ phase: 'sections', section: 1, sections: 1, tokens: 0 });
    const breakdown = await this.drafts.draftBreakdown(doc);
    if (options.signal?.aborted) throw new ModelError('cancelled', 'Generation cancelled.');
    // The drafter reuses the page's own sentences; it cannot write in another language, so the
    // reviewer is told rather than left to wonder why the setting had no effect.
    const wanted = options.language;
    if (wanted && primaryLanguage(wanted) !== primaryLanguage(doc.language)) {
      breakdown.warnings.push(`Written in the page's language (${doc.language}), not ${wanted}: without a model the breakdown reuses the page's own text. Load a model to have it written in ${wanted}.`);
    }
    options.onProgress?.({ phase: 'done', section: 1, sections: 1, tokens: 0 });
    return breakdown;
  }

  async dispose(): Promise<void> {}
}
