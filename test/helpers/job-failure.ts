import assert from 'node:assert/strict';
import { JobFailure } from '../../src/core/errors.js';

/** Awaits a promise that must reject with a catalogue JobFailure, and returns that failure. */
export async function failureOf(promise: Promise<unknown>): Promise<JobFailure> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof JobFailure, `expected a JobFailure, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the download to fail');
}
