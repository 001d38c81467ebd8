// Public surface of the drafter: a breakdown from the page structure alone, and gap filling.

export { draftBreakdown, DRAFTER_NOTE } from './draftBreakdown.ts';
export { draftItemsForBlocks, GAP_NOTE } from './draftItemsForBlocks.ts';
