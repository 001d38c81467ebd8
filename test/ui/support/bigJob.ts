// A generated big job for the review workspace's browser tests, bench and screenshots: a page with
// one requirement per story (25 areas × 13 requirements) and a 1,000-item breakdown citing them
// (25 epics × 13 stories × 2 sub-tasks), put in review through the real APIs.

import { parseBreakdown, type Breakdown, type BreakdownInput } from '../../../core/breakdown/schema.ts';
import type { ReviewApp } from './reviewApp.ts';

export const BIG = { epics: 25, storiesPerEpic: 13, subtasksPerStory: 2 } as const;
export const BIG_ITEMS = BIG.epics * (1 + BIG.storiesPerEpic * (1 + BIG.subtasksPerStory));

const AREAS = ['Checkout', 'Payments', 'Refunds', 'Accounts', 'Search', 'Catalogue', 'Orders', 'Shipping', 'Returns', 'Reviews', 'Wishlists', 'Coupons', 'Invoices', 'Tax', 'Loyalty', 'Gift cards', 'Notifications', 'Support', 'Reports', 'Admin', 'Inventory', 'Pricing', 'Sellers', 'Mobile', 'Privacy'];

const requirement = (e: number, s: number) => `FR-${e}.${s}: The ${AREAS[(e - 1) % AREAS.length]!.toLowerCase()} service must handle case ${s} within 2 seconds and log the outcome for audit.`;

/** The page's storage format: a heading per area, a paragraph per requirement. */
export function bigPageStorage(): string {
  const parts: string[] = ['<p>This specification lists the requirements of the shop, area by area.</p>'];
  for (let e = 1; e <= BIG.epics; e++) {
    parts.push(`<h2>${AREAS[(e - 1) % AREAS.length]}</h2>`);
    for (let s = 1; s <= BIG.storiesPerEpic; s++) parts.push(`<p>${requirement(e, s)}</p>`);
  }
  return parts.join('\n');
}

/**
 * The 1,000-item breakdown; each story cites the block whose text starts with its requirement id
 * (`blockOf` maps "FR-3.4" to the parsed page's block id).
 */
export function bigBreakdown(blockOf: (requirementId: string) => string | undefined): Breakdown {
  const input: BreakdownInput = {
    generator: { kind: 'model', model: 'generated for the review workspace' },
    epics: Array.from({ length: BIG.epics }, (_, ei) => {
      const e = ei + 1;
      return {
        id: `E${e}`,
        title: `${AREAS[ei % AREAS.length]} requirements`,
        description: `Everything the page asks of ${AREAS[ei % AREAS.length]!.toLowerCase()}.`,
        stories: Array.from({ length: BIG.storiesPerEpic }, (_, si) => {
          const s = si + 1;
          const block = blockOf(`FR-${e}.${s}`);
          return {
            id: `S${e}.${s}`,
            title: `Handle ${AREAS[ei % AREAS.length]!.toLowerCase()} case ${s} within 2 seconds`,
            description: requirement(e, s),
            acceptanceCriteria: [`Case ${s} completes within 2 seconds`, 'The outcome is in the audit log'],
            estimate: 3,
            sources: block ? [block] : [],
            subtasks: Array.from({ length: BIG.subtasksPerStory }, (_, ti) => ({
              id: `T${e}.${s}.${ti + 1}`,
              title: ti === 0 ? `Implement case ${s}` : `Test case ${s}`,
              estimate: 4,
              sources: block ? [block] : [],
            })),
          };
        }),
      };
    }),
  };
  return parseBreakdown(input);
}

async function admin(app: ReviewApp, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(app.backend.adminBaseUrl + path, {
    method,
    headers: { authorization: `Bearer ${app.backend.sessionToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Adds the big page to the fake site, runs a job for it to review and saves the 1,000-item breakdown as its version 2. */
export async function startBigJob(app: ReviewApp, pageId = '9001'): Promise<string> {
  app.fake.addPage({ id: pageId, title: 'Shop requirements (1,000 items)', storage: bigPageStorage() });
  const jobId = await app.createJob(pageId, 'pat@example.com');
  await app.waitForJob(jobId, (j) => j.state === 'awaiting_review', 30_000);
  const page = (await admin(app, 'GET', `/api/jobs/${jobId}/page`)) as { page: { blocks: { id: string; requirementId?: string }[] } | null };
  const ids = new Map((page.page?.blocks ?? []).filter((b) => b.requirementId).map((b) => [b.requirementId!, b.id]));
  const breakdown = bigBreakdown((r) => ids.get(r));
  await admin(app, 'PUT', `/api/jobs/${jobId}/breakdown`, { breakdown, author: 'generator' });
  return jobId;
}
