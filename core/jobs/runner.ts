// Runs jobs through the pipeline: fetch → generate → (review) → create. One generation at a time
// (one model, one GPU); Jira creation runs in its own lane beside it. Every state change is
// committed to the store before the work it starts, so after a kill the loops pick up exactly
// where the store says: fetching/generating jobs re-run from their persisted state, creating jobs
// resume (the creation ledger and Jira reconciliation keep issues from being created twice).

import type { Breakdown } from '../breakdown/schema.ts';
import { parseBreakdown } from '../breakdown/schema.ts';
import type { SpecDocument } from '../spec/types.ts';
import type { BreakdownEngine, GenerateOptions, GenerationProgress } from '../model/types.ts';
import type { CreationLedger } from '../store/ledger.ts';
import type { JobCounts, JobError, JobRecord, JobStore, PageSnapshot } from '../store/types.ts';
import { JobTransitionError, type JobState } from './states.ts';
import { applySkips, UNCHANGED_ON_PAGE } from './skipItems.ts';
import { earlierIssuesOfPage, mergeDuplicates, type IssueNoLongerOnPage, type PageHistory } from './pageHistory.ts';
import type { ItemDuplicates } from '../jira/findDuplicates.ts';
import type { ResyncOutcome, ResyncSteps } from './resync.ts';

export interface FetchedPage {
  title: string;
  version: number;
  /** Storage-format XHTML. */
  body: string;
  webUrl: string;
}

export interface CreationProgress {
  created: number;
  total: number;
  [k: string]: unknown;
}

export interface CreationOutcome {
  /** Items that exist in Jira for this job (created now or in an earlier run). */
  created: number;
  /** Of those, items found in Jira by reconciliation rather than the ledger. */
  reused: number;
  /** Items Jira refused, each with a message a person can act on. */
  failed: { itemId: string; message: string }[];
  warnings: string[];
}

/** Resumes of one generation after the process ended mid-way before the job is failed instead. */
export const MAX_INTERRUPTED_GENERATIONS = 3;

/** The pipeline's steps, passed in so the runner is wired the same way in the product and in tests. */
export interface PipelineSteps {
  fetchPage(job: JobRecord, signal: AbortSignal): Promise<FetchedPage>;
  parse(snapshot: { title: string; body: string }): SpecDocument;
  /** The same parse off the event loop (a worker thread), used by the runner when given. */
  parseOffThread?(snapshot: { title: string; body: string }): Promise<SpecDocument>;
  engine: BreakdownEngine;
  createIssues(args: {
    job: JobRecord;
    breakdown: Breakdown;
    snapshot: PageSnapshot;
    ledger: CreationLedger;
    /** Items the reviewer chose to create and relate to an existing issue: item id → issue key. */
    relatesTo: ReadonlyMap<string, string>;
    /** Items skipped for an existing issue that keep children: item id → that issue's key (children go under it). */
    existing: ReadonlyMap<string, string>;
    onProgress: (p: CreationProgress) => void;
    signal: AbortSignal;
  }): Promise<CreationOutcome>;
  /** Looks for existing Jira issues resembling the items (optional; a failure only warns the reviewer). */
  findDuplicates?(args: { job: JobRecord; breakdown: Breakdown; signal: AbortSignal }): Promise<ItemDuplicates[]>;
  /** Re-sync of a page broken down again: proposals for the issues it already made, applied after creation. */
  resync?: ResyncSteps;
  /** Turns a failure into the message shown to people; the default uses the error's code and message. */
  describeError?(err: unknown, step: 'fetch' | 'generate' | 'create'): JobError;
}

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

export interface JobRunnerOptions {
  store: JobStore;
  steps: PipelineSteps;
  /** Called after every change of a job (state or progress), e.g. to push SSE events. */
  onJobChange?: (job: JobRecord) => void;
  log?: Logger;
  /**
   * How the next generation runs (output language, timeout), read as each job starts generating so
   * a changed setting applies to the next job without a restart.
   */
  generationOptions?: () => Promise<Pick<GenerateOptions, 'language' | 'timeoutMs'>>;
}

const SYSTEM = 'system';

/** What the duplicate comparison stores for a job: candidates per item, and earlier issues whose blocks are gone. */
export interface StoredComparison {
  items: ItemDuplicates[];
  noLongerOnPage: IssueNoLongerOnPage[];
}

export function countBreakdown(b: Breakdown): JobCounts {
  let stories = 0;
  let subtasks = 0;
  for (const e of b.epics) {
    stories += e.stories.length;
    for (const s of e.stories) subtasks += s.subtasks.length;
  }
  return { epics: b.epics.length, stories, subtasks };
}

export function defaultDescribeError(err: unknown, step: 'fetch' | 'generate' | 'create'): JobError {
  const e = err as { code?: unknown; message?: unknown; name?: unknown };
  const prefix = step === 'fetch' ? 'confluence' : step === 'create' ? 'jira' : 'generation';
  const code = typeof e?.code === 'string' ? `${prefix}_${e.code}` : e?.name === 'AbortError' ? `${prefix}_aborted` : `${prefix}_failed`;
  const message = typeof e?.message === 'string' && e.message ? e.message : String(err);
  return { code, message };
}

type Lane = 'generation' | 'creation';

export class JobRunner {
  private readonly store: JobStore;
  private readonly steps: PipelineSteps;
  private readonly log: Logger;
  private readonly onJobChange: (job: JobRecord) => void;
  private readonly generationOptions: () => Promise<Pick<GenerateOptions, 'language' | 'timeoutMs'>>;
  private readonly controllers = new Map<string, AbortController>();
  private readonly wakers: Record<Lane, (() => void) | undefined> = { generation: undefined, creation: undefined };
  private readonly pending: Record<Lane, boolean> = { generation: false, creation: false };
  private loops: Promise<void>[] = [];
  /** Duplicate searches run beside the lanes; a stop waits for them so none outlives the store. */
  private readonly inFlightSearches = new Set<Promise<unknown>>();
  private searches = new AbortController();
  private stopped = true;

  constructor(o: JobRunnerOptions) {
    this.store = o.store;
    this.steps = o.steps;
    this.log = o.log ?? silentLogger;
    this.onJobChange = o.onJobChange ?? (() => {});
    this.generationOptions = o.generationOptions ?? (async () => ({}));
  }

  /** Starts both lanes; jobs left mid-way by a previous run are picked up first. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loops = [this.lane('generation'), this.lane('creation')];
  }

  /** Stops taking work and aborts what is running; those jobs keep their state and resume on the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const c of this.controllers.values()) c.abort(new Error('backend is shutting down'));
    this.searches.abort(new Error('backend is shutting down'));
    this.wake();
    await Promise.allSettled([...this.loops, ...this.inFlightSearches]);
    this.loops = [];
    this.searches = new AbortController();
  }

  /** Tells the lanes that there may be new work (a new job, an approval, a retry). */
  wake(): void {
    for (const lane of ['generation', 'creation'] as const) {
      this.pending[lane] = true;
      this.wakers[lane]?.();
    }
  }

  async approve(jobId: string, actor: string): Promise<JobRecord> {
    const job = await this.changed(await this.store.transition(jobId, 'approved', { actor, from: 'awaiting_review', approvedBy: actor }));
    this.wake();
    return job;
  }

  async reject(jobId: string, actor: string, reason?: string): Promise<JobRecord> {
    // The reason stays with the job (progress) so the public status can tell the requester.
    return this.changed(await this.store.transition(jobId, 'rejected', { actor, from: 'awaiting_review', details: reason ? { reason } : {}, ...(reason ? { progress: { rejectionReason: reason } } : {}) }));
  }

  async cancel(jobId: string, actor: string): Promise<JobRecord> {
    const job = await this.changed(await this.store.transition(jobId, 'cancelled', { actor }));
    this.controllers.get(jobId)?.abort(new Error(`cancelled by ${actor}`));
    return job;
  }

  /** Failed or cancelled jobs run again: from creation when a reviewed breakdown was approved, else from the start. */
  async retry(jobId: string, actor: string): Promise<JobRecord> {
    const job = await this.store.getJob(jobId);
    if (!job) throw new Error(`Job ${jobId} does not exist`);
    const to: JobState = job.state === 'failed' && job.approvedBy && (await this.store.latestBreakdown(jobId)) ? 'approved' : 'queued';
    const next = await this.changed(
      await this.store.transition(jobId, to, { actor, from: ['failed', 'cancelled'], error: null, incrementAttempt: true, details: { retry: true } }),
    );
    this.wake();
    return next;
  }

  /**
   * Compares the job's breakdown with what exists: issues earlier jobs of the same page created (from
   * the local store, so a page broken down again is recognised even when the model words things
   * differently) and Jira's own search. What the page history finds is kept even when Jira's
   * search fails.
   */
  searchDuplicates(jobId: string, actor: string, pageBlockIds?: ReadonlySet<string>): Promise<{ ok: boolean; message?: string }> {
    const run = this.compareWithExisting(jobId, actor, pageBlockIds).catch((err: unknown) => {
      const message = `Could not compare with existing issues: ${(err as Error)?.message ?? String(err)}`;
      if (!this.stopped) this.log.warn('duplicate search failed', { jobId, message });
      return { ok: false, message };
    });
    this.inFlightSearches.add(run);
    void run.finally(() => this.inFlightSearches.delete(run));
    return run;
  }

  /** `pageBlockIds`: the block ids of the page as generated, when the caller has parsed it already. */
  private async compareWithExisting(jobId: string, actor: string, pageBlockIds?: ReadonlySet<string>): Promise<{ ok: boolean; message?: string }> {
    const job = await this.store.getJob(jobId);
    const latest = await this.store.latestBreakdown(jobId);
    if (!job || !latest?.body) return { ok: false, message: `Job ${jobId} has no breakdown to compare` };
    const breakdown = parseBreakdown(latest.body);
    // The page history is a help, not a condition: if it cannot be read, Jira's search still runs.
    let history: PageHistory = { candidates: [], unchanged: new Map(), noLongerOnPage: [] };
    try {
      let pageBlocks: ReadonlySet<string> | null = pageBlockIds ?? null;
      if (!pageBlocks) {
        const snapshot = await this.store.latestSnapshot(jobId);
        if (snapshot?.body) pageBlocks = new Set((await this.parsePage({ title: snapshot.title, body: snapshot.body })).blocks.map((b) => b.id));
      }
      history = await earlierIssuesOfPage(this.store, job, breakdown, pageBlocks);
    } catch (err) {
      this.log.warn('earlier breakdowns of the page could not be compared', { jobId, message: (err as Error)?.message ?? String(err) });
    }
    let failure: string | undefined;
    let found: ItemDuplicates[] = [];
    if (!this.steps.findDuplicates) failure = 'Duplicate search is not available';
    else {
      try {
        found = await this.steps.findDuplicates({ job, breakdown, signal: AbortSignal.any([AbortSignal.timeout(120_000), this.searches.signal]) });
      } catch (err) {
        failure = `Could not search Jira for duplicates: ${(err as Error).message ?? String(err)}`;
      }
    }
    const fromHistory = history.candidates.reduce((n, h) => n + h.candidates.length, 0);
    if (!failure || fromHistory > 0 || history.noLongerOnPage.length > 0) {
      const stored: StoredComparison = { items: mergeDuplicates(history.candidates, found), noLongerOnPage: history.noLongerOnPage };
      await this.store.saveDuplicateCandidates(jobId, stored);
    }
    // An unchanged requirement is already in Jira: it is skipped unless the reviewer decides otherwise
    // (a decision already made, by anyone, is never overridden).
    const decided = new Set((await this.store.duplicateDecisions(jobId)).map((d) => d.itemId));
    let autoSkipped = 0;
    if (job.state === 'awaiting_review') {
      for (const [itemId, issueKey] of history.unchanged) {
        if (decided.has(itemId)) continue;
        await this.store.setDuplicateDecision({ jobId, itemId, issueKey, decision: 'skip', decidedBy: UNCHANGED_ON_PAGE });
        autoSkipped++;
      }
    }
    // Re-sync proposals for the issues the page already made (reworded blocks update them, removed ones mark them).
    if (this.steps.resync && job.state === 'awaiting_review') {
      await this.steps.resync.plan({ jobId, signal: this.searches.signal }).catch((err: unknown) => this.log.warn('the re-sync plan could not be built', { jobId, message: (err as Error)?.message ?? String(err) }));
    }
    const details = { fromPageHistory: fromHistory, unchangedSkipped: autoSkipped, noLongerOnPage: history.noLongerOnPage.length };
    if (failure) {
      await this.store.audit({ jobId, actor, action: 'duplicates.search_failed', details: { message: failure, ...details } }).catch(() => {});
      this.log.warn('duplicate search failed', { jobId, message: failure });
      return { ok: false, message: failure };
    }
    await this.store.audit({ jobId, actor, action: 'duplicates.searched', details });
    return { ok: true };
  }

  private changed(job: JobRecord): JobRecord {
    try {
      this.onJobChange(job);
    } catch (err) {
      this.log.warn('job change listener failed', { error: String(err) });
    }
    return job;
  }

  private async waitForWork(lane: Lane): Promise<void> {
    if (this.pending[lane] || this.stopped) {
      this.pending[lane] = false;
      return;
    }
    await new Promise<void>((resolve) => {
      this.wakers[lane] = resolve;
    });
    this.wakers[lane] = undefined;
    this.pending[lane] = false;
  }

  private async lane(lane: Lane): Promise<void> {
    const states: JobState[] = lane === 'generation' ? ['fetching', 'generating', 'queued'] : ['creating', 'approved'];
    while (!this.stopped) {
      let job: JobRecord | undefined;
      try {
        // Jobs already under way (left by a previous run) go before new ones.
        const candidates = await this.store.listJobs({ states, limit: 50 });
        job = candidates.find((j) => j.state === states[0]) ?? candidates.find((j) => j.state === states[1]) ?? candidates[0];
      } catch (err) {
        this.log.error('could not read the job queue', { error: String(err) });
      }
      if (!job) {
        await this.waitForWork(lane);
        continue;
      }
      try {
        if (lane === 'generation') await this.runGeneration(job);
        else await this.runCreation(job);
      } catch (err) {
        // A step's own failure is handled inside; this catches the store failing underneath us.
        this.log.error('job step failed unexpectedly', { jobId: job.id, error: String(err) });
        await this.fail(job.id, { code: 'internal', message: `Internal error: ${(err as Error).message ?? String(err)}` });
      }
    }
  }

  private async fail(jobId: string, error: JobError): Promise<void> {
    try {
      this.changed(await this.store.transition(jobId, 'failed', { actor: SYSTEM, error }));
      this.log.warn('job failed', { jobId, code: error.code, message: error.message });
    } catch (err) {
      if (!(err instanceof JobTransitionError)) throw err;
      // The job moved on meanwhile (e.g. cancelled): nothing to mark.
    }
  }

  /** Parses off the event loop when the pipeline can, so a 5 MB page does not pause both listeners. */
  private async parsePage(snapshot: { title: string; body: string }): Promise<SpecDocument> {
    return this.steps.parseOffThread ? this.steps.parseOffThread(snapshot) : this.steps.parse(snapshot);
  }

  /**
   * How many times this job's current generation was resumed after the process ended mid-way: the
   * resumes since it last entered generating (two index reads, not the job's whole audit trail).
   */
  private async interruptedGenerations(jobId: string): Promise<number> {
    const entered = await this.store.latestAuditOf(jobId, ['state.generating']);
    const resumed = await this.store.auditOf(jobId, 'job.resumed', entered?.id ?? 0);
    return resumed.filter((entry) => entry.details.state === 'generating').length;
  }

  private async runGeneration(job: JobRecord): Promise<void> {
    const controller = new AbortController();
    this.controllers.set(job.id, controller);
    const describe = this.steps.describeError ?? defaultDescribeError;
    try {
      let snapshot = await this.store.latestSnapshot(job.id);
      if (job.state === 'queued' || job.state === 'fetching' || !snapshot || snapshot.body === null) {
        if (job.state !== 'fetching') {
          job = this.changed(await this.store.transition(job.id, 'fetching', { actor: SYSTEM, from: job.state, progress: { step: 'fetching' } }));
        } else {
          await this.store.audit({ jobId: job.id, actor: SYSTEM, action: 'job.resumed', details: { state: job.state } });
        }
        let page: FetchedPage;
        try {
          page = await this.steps.fetchPage(job, controller.signal);
        } catch (err) {
          if (!this.stopped) await this.fail(job.id, describe(err, 'fetch'));
          return;
        }
        job = this.changed(
          await this.store.transition(job.id, 'generating', {
            actor: SYSTEM,
            from: 'fetching',
            snapshot: { version: page.version, title: page.title, webUrl: page.webUrl, body: page.body },
            progress: { step: 'parsing', pageVersion: page.version },
            details: { pageVersion: page.version },
          }),
        );
        snapshot = await this.store.latestSnapshot(job.id);
      } else {
        // A generation that keeps ending the process (a model crash) must not crash every restart.
        const interrupted = await this.interruptedGenerations(job.id);
        if (interrupted >= MAX_INTERRUPTED_GENERATIONS) {
          await this.fail(job.id, {
            code: 'generation_interrupted',
            message: `Generating this breakdown was interrupted ${interrupted} times (the model process crashed or the backend stopped while it ran), so it was not started again. Retry it once the model is sound, choose another model, or split the page.`,
          });
          return;
        }
        await this.store.audit({ jobId: job.id, actor: SYSTEM, action: 'job.resumed', details: { state: job.state } });
      }
      if (!snapshot || snapshot.body === null) throw new Error('the page snapshot is missing');

      let breakdown: Breakdown;
      let pageBlockIds: ReadonlySet<string>;
      try {
        const doc = await this.parsePage({ title: snapshot.title, body: snapshot.body });
        pageBlockIds = new Set(doc.blocks.map((b) => b.id));
        const { language, timeoutMs } = await this.generationOptions();
        // The engine words its own timeout; this one also stops an engine that does not watch the clock.
        const timeout = timeoutMs ? AbortSignal.timeout(timeoutMs + 5000) : undefined;
        const signal = timeout ? AbortSignal.any([controller.signal, timeout]) : controller.signal;
        let lastWrite = 0;
        const jobId = job.id;
        breakdown = parseBreakdown(
          await this.steps.engine.generate(doc, {
            signal,
            language,
            timeoutMs,
            onProgress: (p: GenerationProgress) => {
              const now = Date.now();
              // Progress is for people: a few writes a second is plenty.
              if (now - lastWrite < 250 && p.phase !== 'done') return;
              lastWrite = now;
              void this.store.updateProgress(jobId, { step: 'generating', ...p }).then(async () => {
                const j = await this.store.getJob(jobId);
                if (j) this.changed(j);
              });
            },
          }),
        );
      } catch (err) {
        if (!this.stopped) await this.fail(job.id, describe(err, 'generate'));
        return;
      }
      const reviewJob = this.changed(
        await this.store.transition(job.id, 'awaiting_review', {
          actor: SYSTEM,
          from: 'generating',
          breakdown: { kind: 'generated', body: breakdown, author: this.steps.engine.name },
          counts: countBreakdown(breakdown),
          progress: { step: 'review' },
          details: { generator: breakdown.generator.kind, engine: this.steps.engine.name },
        }),
      );
      // Outside the generation lane: Jira searches must not hold up the next generation.
      void this.searchDuplicates(reviewJob.id, 'system', pageBlockIds);
    } catch (err) {
      if (err instanceof JobTransitionError) return; // cancelled meanwhile
      throw err;
    } finally {
      this.controllers.delete(job.id);
    }
  }

  private async runCreation(job: JobRecord): Promise<void> {
    const controller = new AbortController();
    this.controllers.set(job.id, controller);
    const describe = this.steps.describeError ?? defaultDescribeError;
    try {
      const latest = await this.store.latestBreakdown(job.id);
      const snapshot = await this.store.latestSnapshot(job.id);
      if (!latest || latest.body === null || !snapshot) {
        await this.fail(job.id, { code: 'breakdown_missing', message: 'The approved breakdown is no longer stored (retention may have purged it); generate the page again' });
        return;
      }
      const decisions = await this.store.duplicateDecisions(job.id);
      const { breakdown, existing } = applySkips(parseBreakdown(latest.body), new Map(decisions.filter((d) => d.decision === 'skip').map((d) => [d.itemId, d.issueKey])));
      if (job.state === 'approved') {
        job = this.changed(
          await this.store.transition(job.id, 'creating', { actor: SYSTEM, from: 'approved', progress: { step: 'creating', versionNo: latest.versionNo } }),
        );
      } else {
        await this.store.audit({ jobId: job.id, actor: SYSTEM, action: 'job.resumed', details: { state: job.state } });
      }
      const jobId = job.id;
      let result: CreationOutcome;
      try {
        result = await this.steps.createIssues({
          job,
          breakdown,
          snapshot,
          ledger: this.store.creationLedger(job.id, (key) => `${job.siteUrl}/browse/${encodeURIComponent(key)}`),
          relatesTo: new Map(decisions.filter((d) => d.decision === 'link').map((d) => [d.itemId, d.issueKey])),
          existing,
          signal: controller.signal,
          onProgress: (p) => {
            void this.store.updateProgress(jobId, { ...p, step: 'creating' }).then(async () => {
              const j = await this.store.getJob(jobId);
              if (j) this.changed(j);
            });
          },
        });
      } catch (err) {
        if (!this.stopped) await this.fail(job.id, describe(err, 'create'));
        return;
      }
      const issues = await this.store.createdIssues(job.id);
      if (result.failed.length) {
        // What was created stays recorded; a retry resumes from the ledger and creates only the rest.
        const list = result.failed.slice(0, 5).map((f) => f.message).join(' | ');
        const more = result.failed.length > 5 ? ` (+${result.failed.length - 5} more)` : '';
        await this.fail(job.id, {
          code: 'jira_items_rejected',
          message: `${result.failed.length} of ${result.failed.length + result.created} items were not created: ${list}${more}. Fix the cause (or edit the breakdown) and retry the job.`,
        });
        return;
      }
      // Then the issues the page already made: accepted updates, removed requirements marked (resumable).
      let resynced: ResyncOutcome | undefined;
      if (this.steps.resync) {
        try {
          resynced = await this.steps.resync.apply({ job, signal: controller.signal, onProgress: (message) => void this.store.updateProgress(jobId, { step: 'creating', phase: 'resync', message }) });
        } catch (err) {
          if (!this.stopped) await this.fail(job.id, describe(err, 'create'));
          return;
        }
      }
      const resyncDetails = resynced && resynced.updated.length + resynced.marked.length + resynced.held.length > 0 ? { updated: resynced.updated, marked: resynced.marked, held: resynced.held, ...(resynced.inComment.length ? { inComment: resynced.inComment } : {}), ...(resynced.unlabelled.length ? { unlabelled: resynced.unlabelled } : {}) } : {};
      this.changed(
        await this.store.transition(job.id, 'done', {
          actor: SYSTEM,
          from: 'creating',
          counts: { ...countBreakdown(breakdown), created: result.created, reused: result.reused },
          progress: { step: 'done', created: issues.length, total: issues.length, ...(resynced ? { updated: resynced.updated.length, marked: resynced.marked.length, held: resynced.held.length } : {}) },
          details: { created: result.created, reused: result.reused, ...resyncDetails, ...([...result.warnings, ...(resynced?.warnings ?? [])].length ? { warnings: [...result.warnings, ...(resynced?.warnings ?? [])] } : {}) },
        }),
      );
    } catch (err) {
      if (err instanceof JobTransitionError) return;
      throw err;
    } finally {
      this.controllers.delete(job.id);
    }
  }
}
