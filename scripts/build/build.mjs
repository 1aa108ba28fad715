// Bundles every entry point with esbuild. Native and wasm packages stay external: they load their binaries and
// model files from node_modules by path at run time, which a bundle cannot carry.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const nodeExternal = ['vscode', 'sharp', 'onnxruntime-node', '@tensorflow/*', '@vladmandic/face-api', '@vladmandic/face-api/*'];

/** Each folder of src/webview with a main.ts is one webview app, bundled for the browser. */
const webviewApps = existsSync('src/webview')
  ? readdirSync('src/webview', { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(`src/webview/${d.name}/main.ts`))
      .map((d) => d.name)
  : [];

/** @type {esbuild.BuildOptions[]} */
const targets = [
  { entryPoints: { cli: 'src/trainer/cli/main.ts', worker: 'src/trainer/worker.ts', prepareWorker: 'src/trainer/workers/prepareWorker.ts', batchWorker: 'src/trainer/workers/batchWorker.ts', extension: 'src/extension/main.ts' }, platform: 'node', format: 'cjs', target: 'node20', external: nodeExternal },
  ...webviewApps.map((app) => ({ entryPoints: { [`webview/${app}`]: `src/webview/${app}/main.ts` }, platform: 'browser', format: 'iife', target: 'es2022' })),
];

const common = { bundle: true, outdir: 'dist', sourcemap: !production, minify: production, logLevel: 'warning' };

// Each app's page is a static file with #{token} placeholders that the extension fills (panels/webviewHtml.ts).
mkdirSync('dist/webview', { recursive: true });
for (const app of webviewApps) copyFileSync(`src/webview/${app}/index.html`, `dist/webview/${app}.html`);

if (watch) {
  for (const t of targets) await (await esbuild.context({ ...common, ...t })).watch();
} else {
  await Promise.all(targets.map((t) => esbuild.build({ ...common, ...t })));
}
