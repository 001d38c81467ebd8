// The creation ledger as Jira creation sees it: which breakdown items already have an issue.
// Kept structurally identical to the interface core/jira/createIssues.ts consumes.

export interface LedgerIssue {
  key: string;
  id: string;
}

export interface CreationLedger {
  createdItems(): Map<string, LedgerIssue>;
  recordCreated(itemId: string, issue: LedgerIssue): void;
  /** Issue links (and remote links) already made, by the key creation gives them. */
  recordLinked(linkKey: string): void;
  linkedKeys(): Set<string>;
  /** The items of a bulk create request, written before it is sent; cleared once its answer is recorded. */
  recordPendingBulk(itemIds: string[]): void;
  /** The items of a request sent and never answered (Jira may hold them unseen), if any. */
  pendingBulk(): string[] | undefined;
  clearPendingBulk(): void;
}
