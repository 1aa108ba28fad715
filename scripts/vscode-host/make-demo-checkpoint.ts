// Writes an untrained tiny64 checkpoint (torchvision initialisation, paper classes): a model the editor can select and
// explain with before anything is trained. Its scores mean nothing; the maps and metrics have the real shapes.
// Usage: node --import tsx scripts/vscode-host/make-demo-checkpoint.ts OUT.ckpt [seed]
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { untrainedCheckpoint } from '../../src/trainer/explain/benchExplain';
import { saveCheckpoint } from '../../src/trainer/train/checkpoint';

const [out, seed = '0'] = process.argv.slice(2);
if (!out) throw new Error('usage: make-demo-checkpoint.ts OUT.ckpt [seed]');
mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
void saveCheckpoint(out, untrainedCheckpoint('tiny64', Number(seed))).then(() => console.log(`wrote ${out}`));
