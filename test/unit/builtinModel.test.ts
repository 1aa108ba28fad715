import assert from 'node:assert/strict';
import { BUILTIN_MODEL } from '../../src/trainer/protocol';
import { DEFAULT_MODEL } from '../../src/trainer/train/pretrained';

describe('built-in model', () => {
  it('is the same name in the editor and in the trainer', () => {
    assert.equal(BUILTIN_MODEL, DEFAULT_MODEL);
  });
});
