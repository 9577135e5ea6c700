/**
 * The rooms stay small enough to read: no file of lbmedic's own code (outside simulator/ and test/)
 * much past 400 lines, no function in workflows/ or core/ much past 100, and no import cycle.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { fileLengths, functionLengths, importCycles, importGraph } from '../../scripts/measure-rooms';

/** "About 400" and "about 100": a little slack, so a docstring does not fail the build. */
const MAX_FILE_LINES = 420;
const MAX_FUNCTION_LINES = 110;

test('no file of lbmedic’s own code is much longer than 400 lines', () => {
  const long = fileLengths().filter((f) => f.lines > MAX_FILE_LINES);
  assert.deepEqual(long, [], 'split these into rooms of their own');
});

test('no function in workflows/ or core/ is much longer than 100 lines', () => {
  const long = functionLengths(['workflows', 'core']).filter((f) => f.lines > MAX_FUNCTION_LINES);
  assert.deepEqual(long, []);
});

test('the import graph has no cycle, type imports included', () => {
  assert.deepEqual(importCycles(importGraph()), []);
});

test('the cycle finder finds a cycle', () => {
  const graph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', ['a.ts']],
  ]);
  assert.deepEqual(importCycles(graph), [['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
});
