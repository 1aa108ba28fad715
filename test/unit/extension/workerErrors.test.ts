import assert from 'node:assert/strict';
import { errorHelp, MANAGE_TRUST, workerErrorCode } from '../../../src/extension/workerErrors';
import { WorkerFailure, WorkerRequestError } from '../../../src/trainer/workerClient';

describe('worker errors as the editor shows them', () => {
  it('an untrusted refusal offers Manage Workspace Trust and keeps the worker\'s reason', () => {
    const help = errorHelp(new WorkerRequestError('m.ckpt: not an AU Lens checkpoint, and this workspace is not ' +
      'trusted', 'untrusted'));
    assert.match(help.message, /not trusted/);
    assert.deepEqual(help.action, MANAGE_TRUST);
  });

  it('a crashed worker says that trying again is safe and where the details are', () => {
    const help = errorHelp(new WorkerFailure('the AU Lens worker stopped (signal SIGSEGV)', 'crashed'));
    assert.match(help.message, /SIGSEGV\)\. A new worker starts with the next request, so try again/);
    assert.match(help.message, /AU Lens output/);
    assert.equal(help.action, undefined);
  });

  it('a locked run folder, and any other error, keep their own message', () => {
    const locked = new WorkerFailure('/w/runs/r is in use by another training (pid 7 on this host)', 'locked');
    assert.deepEqual(errorHelp(locked), { message: locked.message });
    assert.deepEqual(errorHelp(new Error('disk full')), { message: 'disk full' });
    assert.deepEqual(errorHelp('odd'), { message: 'odd' });
    assert.equal(workerErrorCode(locked), 'locked');
    assert.equal(workerErrorCode(new Error('x')), undefined);
  });
});
