import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../helpers/paths';

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** The modules a file imports; with `values`, only imports that remain at run time (not `import type`). */
function imports(file: string, { values = false } = {}): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s([^'"]*?)from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm)]
    .filter((m) => !values || !/^type\s/.test(m[1] ?? ''))
    .map((m) => (m[2] ?? m[3])!);
}

/** The files that describe models without building them; a new family's description joins them. */
const MODEL_METADATA = ['models/presets', 'models/modelNames', 'models/modelInfo', 'models/resnetPresets', 'models/faceApiInfo',
  'models/vitPresets', 'models/vitArch'];

/** The sweep modules the editor reads a sweep's files and asks Slurm with; none of them trains. */
const SWEEP_FILES = ['sweep/loadSweep', 'sweep/sweepFile', 'sweep/expand', 'sweep/sweepPlan', 'sweep/runFolder',
  'sweep/sweepStatus', 'sweep/sweepMetrics', 'sweep/slurm', 'sweep/slurmSweep'];

/** Every source file a file loads at run time, itself included: its value imports, followed through the tree. */
function runtimeClosure(file: string): Set<string> {
  const seen = new Set<string>();
  const visit = (f: string): void => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const spec of imports(f, { values: true }).filter((s) => s.startsWith('.'))) {
      const base = path.resolve(path.dirname(f), spec);
      const next = [`${base}.ts`, path.join(base, 'index.ts')].find((c) => existsSync(c));
      assert.ok(next, `${path.relative(repoRoot, f)} imports "${spec}", which is no source file`);
      visit(next);
    }
  };
  visit(file);
  return seen;
}

/** The module boundary a newcomer should see at once, checked on every file rather than trusted. */
describe('module boundaries', () => {
  const src = path.join(repoRoot, 'src');

  it('keeps science code pure: only its own files', () => {
    const scienceDir = path.join(src, 'trainer', 'science');
    for (const file of tsFiles(scienceDir)) {
      for (const spec of imports(file)) {
        const resolved = path.resolve(path.dirname(file), spec);
        assert.ok(spec.startsWith('.') && resolved.startsWith(scienceDir), `${path.relative(repoRoot, file)} imports "${spec}"`);
      }
    }
  });

  it('keeps VS Code out of the trainer', () => {
    for (const file of tsFiles(path.join(src, 'trainer'))) {
      for (const spec of imports(file)) {
        assert.ok(spec !== 'vscode' && !spec.includes('/extension/') && !spec.includes('/webview/'), `${path.relative(repoRoot, file)} imports "${spec}"`);
      }
    }
  });

  it('keeps webview pages to the browser: their own files and the pure science only', () => {
    for (const file of tsFiles(path.join(src, 'webview'))) {
      for (const spec of imports(file)) {
        const resolved = path.resolve(path.dirname(file), spec);
        // uPlot is bundled into the dashboard page (esbuild), so it runs in the browser like the page's own files.
        const bundled = spec === 'uplot' || spec.startsWith('uplot/');
        const ok = bundled || (spec.startsWith('.') && (resolved.startsWith(path.join(src, 'webview')) || resolved.startsWith(path.join(src, 'trainer', 'science'))));
        assert.ok(ok, `${path.relative(repoRoot, file)} imports "${spec}"`);
      }
    }
  });

  it('lets the extension reach the trainer only through its protocol and client', () => {
    // Besides the protocol: the run folder's file formats (run.json, progress.jsonl, run configs, eval files read
    // Besides the protocol: the run folder's file formats (run.json, progress.jsonl, run configs, eval files read
    // through the bounded reader, a checkpoint's header for the runs view, the run lock, which files a run owns), the training
    // defaults, the model table, an imported model's sidecar config, the device names, dataset layout detection,
    // whether a process runs and the progress meter's duration format (the trainer's CLI words time left as the
    // editor does), which are bundle-safe (no native code), and types, which compile away. Of the sweeps, their
    // files (the sweep file, its plan, the runs' states and numbers) and Slurm's commands, which run as child
    // processes; never the task, which trains.
    const allowed = [
      'protocol', 'workerClient', 'science', 'train/runLog', 'train/runConfig', 'train/trainDefaults',
      'io/progressMeter', 'train/checkpointHeader', 'train/runLock', 'train/runFiles', 'eval/evalFile', 'eval/readEvalFile',
      'import/sidecar', 'io/liveProcess', 'onnx/deviceNames', 'io/layouts/detect', ...MODEL_METADATA, ...SWEEP_FILES,
    ];
    for (const file of tsFiles(path.join(src, 'extension'))) {
      for (const spec of imports(file, { values: true }).filter((s) => s.includes('/trainer/'))) {
        const rest = spec.slice(spec.indexOf('/trainer/') + '/trainer/'.length);
        assert.ok(allowed.some((a) => rest === a || rest.startsWith(`${a}/`)), `${path.relative(repoRoot, file)} imports "${spec}"`);
      }
    }
  });

  it('keeps dataset layout detection light: the editor runs it, so it loads no parser, image library or engine', () => {
    const trainer = path.join(src, 'trainer');
    for (const file of runtimeClosure(path.join(trainer, 'io', 'layouts', 'detect.ts'))) {
      const rest = path.relative(trainer, file).replace(/\\/g, '/');
      for (const spec of imports(file, { values: true })) {
        assert.ok(spec.startsWith('.') || spec.startsWith('node:'), `${rest} imports the package "${spec}"`);
      }
    }
  });

  it('keeps the model metadata free of graph builders, so the editor can load it without the engine', () => {
    const trainer = path.join(src, 'trainer');
    for (const leaf of MODEL_METADATA) {
      for (const file of runtimeClosure(path.join(trainer, `${leaf}.ts`))) {
        const rest = path.relative(trainer, file).replace(/\\/g, '/').replace(/\.ts$/, '');
        const ok = MODEL_METADATA.includes(rest) || rest.startsWith('science/');
        assert.ok(ok, `${leaf} loads ${rest} at run time`);
        for (const spec of imports(file, { values: true })) {
          assert.ok(spec.startsWith('.'), `${rest} imports the package "${spec}"`);
        }
      }
    }
  });
});
