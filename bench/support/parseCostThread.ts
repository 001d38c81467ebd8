// The nesting figures measured in a worker thread, sent back to the bench (see parseCost.ts).

import { parentPort } from 'node:worker_threads';
import { nestingCost } from './parseCost.ts';

parentPort?.postMessage(nestingCost());
