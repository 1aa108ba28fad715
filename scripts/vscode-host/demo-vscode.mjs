// Opens AU Lens in a local VS Code on a demo workspace, for a new user to try at once: the VS Code server that the
// tests use (npm package code-server, set up by scripts/vscode-host/setup-vscode-host.sh) on 127.0.0.1, a workspace
// with face-api's MIT-licensed demo photos and an untrained demo checkpoint. Open the printed address in a browser,
// right-click a photo → "Explain Expression". Ctrl+C stops the server and removes the temporary workspace.
// Usage: npm run build && bash scripts/vscode-host/setup-vscode-host.sh && node scripts/vscode-host/demo-vscode.mjs
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { extDir, startServer, workbenchUrl } from './vscode-server.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'au-lens-demo-'));
const ws = path.join(tmp, 'au-lens-demo');
const photos = path.join(extDir, 'node_modules/@vladmandic/face-api/demo');
fs.mkdirSync(path.join(ws, 'photos'), { recursive: true });
for (const name of fs.readdirSync(photos).filter((f) => /^sample\d\.jpg$/.test(f))) fs.copyFileSync(path.join(photos, name), path.join(ws, 'photos', name));
execFileSync(process.execPath, ['--import', 'tsx', path.join(extDir, 'scripts/vscode-host/make-demo-checkpoint.ts'),
  path.join(ws, 'models/untrained-tiny64.ckpt')], { cwd: extDir, stdio: 'ignore' });
fs.writeFileSync(path.join(ws, 'README.md'), [
  '# AU Lens demo', '',
  'Right-click a photo in `photos/` → **Explain Expression**: landmarks and the AU map of every expression.',
  'Then click **AU Lens: no model** in the status bar and pick `models/untrained-tiny64.ckpt` to see class',
  'probabilities, attention, CAMs and their alignment with the AUs (an untrained model: the numbers mean nothing yet;',
  'train one with `au-lens train`). Photos: face-api demo images (MIT).', ''].join('\n'));

const server = await startServer({ tmp });
// startServer stops the server on Ctrl+C (and on exit); the workspace goes with it.
process.once('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
console.log(`AU Lens demo workspace: ${ws}`);
console.log(`Open in a browser:\n  ${workbenchUrl(server.host, ws)}`);
console.log('Ctrl+C stops it.');
