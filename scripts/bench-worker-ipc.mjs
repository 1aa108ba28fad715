// What moving the trainer worker from a worker thread to a child process costs (workerClient.ts): the time to
// start one and to answer the first message, and the round trip of an explanation-sized result (nine 224×224
// float32 maps and a 200 KB PNG: about 2 MB) — transferred between threads, copied through the IPC pipe with
// advanced serialization between processes. Prints JSON; `node scripts/bench-worker-ipc.mjs [--reps N]`.
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '30' }, child: { type: 'boolean', default: false } } });

function result() {
  return { maps: Array.from({ length: 9 }, () => new Float32Array(224 * 224).fill(0.5)), png: new Uint8Array(200_000) };
}

// The echo peer: answers every message with a fresh result, as the worker answers a request.
const peerSource = `
  const result = ${result.toString()};
  const { parentPort } = require('node:worker_threads');
  if (parentPort) parentPort.on('message', () => { const r = result(); parentPort.postMessage(r, [...r.maps.map((m) => m.buffer), r.png.buffer]); });
  else process.on('message', () => process.send(result()));
`;

async function measure(kind, reps) {
  const t0 = performance.now();
  const peer = kind === 'thread'
    ? new Worker(peerSource, { eval: true })
    : fork(process.argv[1], ['--child'], { serialization: 'advanced', execArgv: [] });
  const ask = () => new Promise((resolve) => {
    peer.once('message', resolve);
    if (kind === 'thread') peer.postMessage('go');
    else peer.send('go');
  });
  await ask();
  const startMs = performance.now() - t0;
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    const r = await ask();
    if (r.maps.length !== 9) throw new Error('bad echo');
    times.push(performance.now() - t);
  }
  if (kind === 'thread') await peer.terminate();
  else peer.kill();
  times.sort((a, b) => a - b);
  return { startMs: Math.round(startMs), roundTripMs: { median: +times[times.length >> 1].toFixed(2), p90: +times[Math.floor(times.length * 0.9)].toFixed(2) } };
}

if (values.child) {
  (0, eval)(peerSource.replace("const { parentPort } = require('node:worker_threads');", 'const parentPort = null;'));
} else {
  const reps = Number(values.reps);
  const thread = await measure('thread', reps);
  const child = await measure('process', reps);
  process.stdout.write(`${JSON.stringify({
    cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), load: os.loadavg()[0], node: process.version, payloadBytes: 9 * 224 * 224 * 4 + 200_000, reps,
    thread, process: child,
    ratio: { start: +(child.startMs / thread.startMs).toFixed(2), roundTrip: +(child.roundTripMs.median / thread.roundTripMs.median).toFixed(2) },
  }, null, 2)}\n`);
}
