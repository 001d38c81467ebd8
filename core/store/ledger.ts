// The creation ledger as Jira creation sees it: which breakdown items already have an issue.
// Kept structurally identical to the interface core/jira/createIssues.ts consumes.

export interface LedgerIssue {
  key: string;
  id: string;
}

/** What creation sent for an issue, in the form re-sync compares with Jira's (description as its ADF's text; '' when not sent). */
export interface SentText {
  summary: string;
  descriptionText: string;
}

export interface CreationLedger {
  createdItems(): Map<string, LedgerIssue>;
  /** `sent`: what the create request carried for the item (absent: not known, e.g. a record from before it was kept). */
  recordCreated(itemId: string, issue: LedgerIssue & { sent?: SentText }): void;
  /** Jira's `updated` of created issues (item id → timestamp), read once creation's own writes to them are over. */
  recordJiraUpdated(updated: ReadonlyMap<string, string>): void;
  /** Jira's `updated` of issues from before the job that its creation writes next to, kept until the run that writes them ends. */
  recordTouchedBefore(times: ReadonlyMap<string, string>): void;
  touchedBefore(): Map<string, string>;
  /** Issues from before the job that its creates and links changed: a baseline still at `before` moves to `after`; the kept times go. */
  recordOwnWrites(changes: readonly { key: string; before: string; after: string }[]): void;
  /** Issue links (and remote links) already made, by the key creation gives them. */
  recordLinked(linkKey: string): void;
  linkedKeys(): Set<string>;
  /** The items of a bulk create request, written before it is sent; cleared once its answer is recorded. */
  recordPendingBulk(itemIds: string[]): void;
  /** The items of a request sent and never answered (Jira may hold them unseen), if any. */
  pendingBulk(): string[] | undefined;
  clearPendingBulk(): void;
}
