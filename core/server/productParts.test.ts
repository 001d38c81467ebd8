// The Models page's controls exist for an engine that says it can switch models at run time
// (BreakdownEngine.modelSwitching), whatever object carries it, and not for a fixed engine.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/config.ts';
import { SettingsService } from '../config/settings.ts';
import { MemorySecretStore } from '../secrets/secretStore.ts';
import { SqliteJobStore } from '../store/sqliteStore.ts';
import { DrafterEngine } from '../model/drafterEngine.ts';
import { SwitchableEngine } from '../model/switchableEngine.ts';
import type { BreakdownEngine } from '../model/types.ts';
import { productParts } from './productParts.ts';

const dir = mkdtempSync(join(tmpdir(), 's2t-parts-'));
const store = new SqliteJobStore({ dataDir: dir });
const loaded = loadConfig({ cwd: dir, env: { SPEC2TICKETS_DATA_DIR: dir } });
const settings = new SettingsService(loaded, store, new MemorySecretStore());
const log = { error: () => undefined, warn: () => undefined, info: () => undefined };
const switchable = new SwitchableEngine({ dataDir: dir });
after(async () => {
  await switchable.dispose();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const partsFor = (engine: BreakdownEngine) => productParts()({ settings, engine, store, log, loaded });

test('the switchable engine gets the model controls through its capability', () => {
  assert.equal(switchable.modelSwitching, switchable);
  assert.equal(partsFor(switchable).modelControl?.engine, switchable);
});

test('an engine that forwards the capability (not the class itself) gets the same controls', () => {
  // A wrapper the product might put around the engine (e.g. one that counts generations).
  const wrapper: BreakdownEngine = {
    get name() {
      return switchable.name;
    },
    status: () => switchable.status(),
    onStatus: (l) => switchable.onStatus(l),
    generate: (doc, o) => switchable.generate(doc, o),
    dispose: () => switchable.dispose(),
    modelSwitching: switchable,
  };
  assert.equal(partsFor(wrapper).modelControl?.engine, switchable);
});

test('a fixed engine has no model controls', () => {
  const drafter: BreakdownEngine = new DrafterEngine();
  assert.equal(drafter.modelSwitching, undefined);
  assert.equal(partsFor(drafter).modelControl, undefined);
});
