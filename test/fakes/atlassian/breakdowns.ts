// Breakdowns of a chosen size for Jira creation tests and benchmarks, with dependencies between
// sibling stories so "Blocks" links are exercised.

import { parseBreakdown } from '../../../core/breakdown/schema.ts';
import type { Breakdown } from '../../../core/breakdown/schema.ts';
import type { CreationLedger } from '../../../core/jira/createIssues.ts';

export function sampleBreakdown(epics: number, storiesPerEpic: number, subtasksPerStory: number): Breakdown {
  return parseBreakdown({
    generator: { kind: 'model', model: 'qwen2.5-test' },
    title: 'Payments specification',
    epics: Array.from({ length: epics }, (_, e) => ({
      id: `E${e + 1}`,
      title: `Refund handling area ${e + 1}`,
      description: `Everything about **refunds** in area ${e + 1}.`,
      labels: ['payments'],
      sources: [`b${e + 1}`],
      stories: Array.from({ length: storiesPerEpic }, (_, s) => ({
        id: `S${e + 1}.${s + 1}`,
        title: `As a customer I can request refund step ${e + 1}.${s + 1}`,
        description: 'The customer sees the refund status.\n\n- shown in the app\n- sent by email',
        acceptanceCriteria: ['Given a paid order, when I ask for a refund, then it is queued', 'The refund is visible within 1 minute'],
        estimate: [1, 2, 3, 5, 8][s % 5],
        priority: s % 2 === 0 ? 'High' : 'Medium',
        dependsOn: s > 0 ? [`S${e + 1}.${s}`] : [],
        sources: [`b${e + 1}.${s + 1}`],
        subtasks: Array.from({ length: subtasksPerStory }, (_, t) => ({
          id: `T${e + 1}.${s + 1}.${t + 1}`,
          title: `Implement part ${t + 1} of refund step ${e + 1}.${s + 1}`,
          estimate: 4,
        })),
      })),
    })),
  });
}

/** A ledger in memory, the way the backend's SQLite ledger behaves. */
export class MemoryLedger implements CreationLedger {
  readonly items = new Map<string, { key: string; id: string }>();
  readonly linked = new Set<string>();
  createdItems() {
    return new Map(this.items);
  }
  recordCreated(itemId: string, issue: { key: string; id: string }) {
    this.items.set(itemId, { ...issue });
  }
  recordLinked(linkKey: string) {
    this.linked.add(linkKey);
  }
  linkedKeys() {
    return new Set(this.linked);
  }
  pending: string[] | undefined;
  recordPendingBulk(itemIds: string[]) {
    this.pending = [...itemIds];
  }
  pendingBulk() {
    return this.pending ? [...this.pending] : undefined;
  }
  clearPendingBulk() {
    this.pending = undefined;
  }
}
