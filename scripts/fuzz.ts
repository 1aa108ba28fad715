/**
 * The full fuzz run of issue 18 (test/fuzz/fuzz.ts): `npx tsx scripts/fuzz.ts [--seed N] [--count N] [--native N]`
 * mutates each seed file --count times per parser (default 10,000) and sends --native mutated ONNX files through
 * ONNX Runtime in the worker process (default 1,000; needs `npm run build`), then prints the counts as JSON. Exit
 * status 1 when any parser answered with anything but its own error, hung, or the caller did not survive.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { runFuzz } from '../test/fuzz/fuzz';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seed: { type: 'string', default: '18' }, count: { type: 'string', default: '10000' }, native: { type: 'string', default: '1000' } },
  });
  const root = path.join(__dirname, '..');
  const started = Date.now();
  const report = await runFuzz({
    seed: Number(values.seed),
    count: Number(values.count),
    nativeCount: Number(values.native),
    workerScript: path.join(root, 'dist', 'worker.js'),
    onnxSeed: path.join(root, 'test', 'fixtures', 'golden', 'tiny64-peer-onnx', 'model.onnx'),
  });
  process.stdout.write(`${JSON.stringify({ ...report, seconds: (Date.now() - started) / 1000 }, null, 2)}\n`);
  process.exitCode = report.failures === 0 ? 0 : 1;
}

void main();
