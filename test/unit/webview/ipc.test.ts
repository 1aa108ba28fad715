import assert from 'node:assert/strict';
import { DidExplainNotification, ExportPngRequest, ReadyCommand, SelectFaceCommand } from '../../../src/webview/protocol/explain';
import { IpcResponse } from '../../../src/webview/protocol/ipc';

describe('webview protocol', () => {
  it('names each message scope/name and recognises only its own', () => {
    assert.deepEqual([ReadyCommand.method, SelectFaceCommand.method, ExportPngRequest.method, DidExplainNotification.method, IpcResponse.method],
      ['explain/ready', 'explain/face/select', 'explain/export/png', 'explain/didExplain', 'ipc/response']);
    const message: unknown = SelectFaceCommand.message({ face: 2 });
    assert.ok(SelectFaceCommand.is(message));
    assert.equal(message.params.face, 2);
    for (const other of [ReadyCommand, ExportPngRequest, DidExplainNotification]) assert.equal(other.is(message), false);
    for (const junk of [null, undefined, 'explain/face/select', { params: {} }]) assert.equal(SelectFaceCommand.is(junk), false);
  });
});
