// Activation-time benchmark (issue 6: target ≤ 200 ms): loads the built extension (dist/extension.js) and calls
// activate() in fresh Node processes, with a stand-in `vscode` module that accepts any call, and reports the median,
// min and max of loading the bundle and of activate() itself over RUNS processes (default 15). Not a test: the
// numbers depend on the machine. VS Code's own measure of the same, in the real extension host, is in the e2e run
// ("Developer: Show Running Extensions") and in the AU Lens output channel ("activated in N ms").
// Usage: npm run build && node scripts/bench/bench-activation.mjs [RUNS]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runs = Number(process.argv[2] ?? 15);
const TARGET_MS = 200;

/** Every `vscode.X` the extension's sources name, so the stand-in keeps up with the code without a list to edit. */
const apiAreas = [...new Set(fs.readdirSync(path.join(root, 'src/extension'), { recursive: true })
  .filter((f) => f.endsWith('.ts'))
  .flatMap((f) => [...fs.readFileSync(path.join(root, 'src/extension', f), 'utf8').matchAll(/\bvscode\.([A-Za-z]\w*)/g)].map((m) => m[1])))].sort();

// Runs in each child: a Proxy that is every object, function and class `vscode` could be asked for.
const child = `
const Module = require('node:module');
const stub = () => { const props = new Map(); return new Proxy(function () {}, {
  get: (t, key) => key === 'then' ? undefined : key === Symbol.toPrimitive ? () => '' : props.has(key) ? props.get(key) : (props.set(key, stub()), props.get(key)),
  set: (t, key, value) => (props.set(key, value), true),
  apply: () => stub(),
  construct: () => stub(),
}); };
// A plain object (esbuild's namespace interop copies own keys) of the API areas the extension touches.
const vscode = Object.fromEntries(${JSON.stringify(apiAreas)}.map((k) => [k, stub()]));
const load = Module._load;
Module._load = function (request, ...rest) { return request === 'vscode' ? vscode : load.call(this, request, ...rest); };
const t0 = performance.now();
const ext = require(${JSON.stringify(path.join(root, 'dist/extension.js'))});
const t1 = performance.now();
const context = { subscriptions: [], extensionUri: stub(), globalStorageUri: stub(), workspaceState: { get: () => undefined, update: async () => {} },
  extensionPath: ${JSON.stringify(root)}, extension: { packageJSON: require(${JSON.stringify(path.join(root, 'package.json'))}) } };
ext.activate(context);
const t2 = performance.now();
process.stdout.write(JSON.stringify({ load: t1 - t0, activate: t2 - t1 }));
`;

const samples = [];
for (let i = 0; i < runs; i++) samples.push(JSON.parse(execFileSync(process.execPath, ['-e', child], { encoding: 'utf8' })));
const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted.at(-1) };
};
const row = (name, values) => {
  const s = stats(values);
  return `${name.padEnd(24)} median ${s.median.toFixed(1).padStart(6)} ms   min ${s.min.toFixed(1).padStart(6)} ms   max ${s.max.toFixed(1).padStart(6)} ms`;
};
const totals = samples.map((s) => s.load + s.activate);
console.log(`AU Lens activation, ${runs} fresh Node ${process.version} processes (dist/extension.js, stand-in vscode module):`);
console.log(row('require(extension.js)', samples.map((s) => s.load)));
console.log(row('activate()', samples.map((s) => s.activate)));
console.log(row('total', totals));
const median = stats(totals).median;
console.log(`target ≤ ${TARGET_MS} ms: ${median <= TARGET_MS ? 'met' : 'MISSED'} (median ${median.toFixed(1)} ms)`);
