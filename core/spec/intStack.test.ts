// The chunked integer stack against a plain array, across chunk boundaries in both directions.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IntStack } from './intStack.ts';

test('IntStack behaves as an array used as a stack, across chunk boundaries', () => {
  const stack = new IntStack(4);
  const model: number[] = [];
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  // Runs of pushes and pops that go up past several 16,384-entry chunks and back down to empty.
  for (let round = 0; round < 60; round++) {
    const pushes = random(3) === 0 ? random(40_000) : random(200);
    for (let i = 0; i < pushes; i++) {
      const value = random(2_000_000) - 1_000_000;
      stack.push(value);
      model.push(value);
    }
    const pops = random(model.length + 1);
    for (let i = 0; i < pops; i++) assert.equal(stack.pop(), model.pop());
    assert.equal(stack.length, model.length);
    assert.equal(stack.top(), model.length ? model[model.length - 1] : -1);
    for (let k = 0; k < 20 && model.length > 0; k++) {
      const at = random(model.length);
      assert.equal(stack.get(at), model[at]);
    }
  }
  while (model.length > 0) assert.equal(stack.pop(), model.pop());
  assert.equal(stack.pop(), -1);
  assert.equal(stack.top(), -1);
});
