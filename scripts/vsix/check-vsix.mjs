// The vsix suite: packages the host platform's VSIX (`npm run package`; AU_LENS_VSIX=<file> checks that file instead),
// lists its entries and checks them by rule: what the installed extension loads is inside, what it does not
// (sources, tests, scripts, maps, other platforms' binaries, research data) is not, NOTICE names every shipped
// package, the size fits its budget. Then it unpacks the VSIX and explains a face with the CLI inside it, with
// nothing from this repository's node_modules, which proves the native binaries, the tfjs wasm files and the
// face-api models it carries work. Ends with `N passed, N failed`.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { vsixSize } from './check-vsix-size.mjs';
import { bundledPackages, shippedPackages } from './notice.mjs';
import { defaultVsix, vsixEntries } from './vsix-contents.mjs';
import { extDir, hostTarget, installedSharpPackages, onnxruntimeBinDirs, sharpPackages, targetOf } from './vsix-targets.mjs';

const target = hostTarget();
const vsix = process.env.AU_LENS_VSIX ? path.resolve(process.env.AU_LENS_VSIX) : defaultVsix(target);
const pkg = JSON.parse(fs.readFileSync(path.join(extDir, 'package.json'), 'utf8'));
let passed = 0, failed = 0;

function check(name, run) {
  try {
    run();
    passed++;
    console.log(`✔ ${name}`);
  } catch (e) {
    failed++;
    console.log(`✘ ${name}\n    ${String(e.message ?? e).split('\n').join('\n    ')}`);
  }
}

const fail = (what, list) => { if (list.length) throw new Error(`${what}:\n${list.slice(0, 20).join('\n')}${list.length > 20 ? `\n… ${list.length - 20} more` : ''}`); };

if (!process.env.AU_LENS_VSIX) {
  check(`npm run package builds ${path.basename(vsix)}`, () => {
    const t0 = Date.now();
    execFileSync(process.execPath, ['scripts/vsix/package-vsix.mjs', '--target', target, '--out', vsix],
      { cwd: extDir, stdio: ['ignore', 'ignore', 'inherit'] });
    console.log(`    packaged in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });
  if (failed) {
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(1);
  }
}
const entries = vsixEntries(vsix);
const names = new Set(entries.map((e) => e.name));
const files = entries.map((e) => e.name).filter((n) => n.startsWith('extension/')).map((n) => n.slice('extension/'.length));
const has = (f) => names.has(`extension/${f}`);
const matching = (re) => files.filter((f) => re.test(f));

/** Files a rule says must ship: our bundles, every webview app, schema, media file and walkthrough medium. */
function requiredFiles() {
  const required = ['package.json', 'readme.md', 'changelog.md', 'LICENSE.txt', 'NOTICE', 'dist/extension.js', 'dist/worker.js', 'dist/prepareWorker.js', 'dist/batchWorker.js', 'dist/cli.js', 'bin/au-lens.js', pkg.icon];
  const webviews = fs.readdirSync(path.join(extDir, 'src/webview'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(extDir, 'src/webview', d.name, 'main.ts')));
  for (const app of webviews) required.push(`dist/webview/${app.name}.js`, `dist/webview/${app.name}.html`);
  for (const f of fs.readdirSync(path.join(extDir, 'schemas'))) required.push(`schemas/${f}`);
  const tracked = execFileSync('git', ['ls-files', 'media'], { cwd: extDir, encoding: 'utf8' }).split('\n').filter(Boolean);
  required.push(...tracked);
  for (const w of pkg.contributes?.walkthroughs ?? []) {
    for (const s of w.steps) required.push(...Object.values(s.media ?? {}).filter((v) => /\.(md|png|jpe?g|svg|gif)$/.test(v)));
  }
  for (const v of pkg.contributes?.jsonValidation ?? []) if (v.url.startsWith('./')) required.push(v.url.slice(2));
  return [...new Set(required)];
}

check('the VSIX is built for this platform (vsce --target)', () => {
  const manifest = execFileSync('unzip', ['-p', vsix, 'extension.vsixmanifest'], { encoding: 'utf8' });
  if (!manifest.includes(`TargetPlatform="${target}"`)) throw new Error(`extension.vsixmanifest has no TargetPlatform="${target}"`);
});

check('our runtime files ship: bundles, webview apps with their pages, schemas, media, walkthrough, licence files', () => {
  fail('missing', requiredFiles().filter((f) => !has(f)));
});

check(`the native parts for ${target} ship: onnxruntime binding + libonnxruntime, sharp binding + libvips`, () => {
  const { os: o, cpu } = targetOf(target);
  const ort = `node_modules/onnxruntime-node/bin/napi-v6/${o}/${cpu}/`;
  const want = [new RegExp(`^${ort}onnxruntime_binding\\.node$`), new RegExp(`^${ort}(lib)?onnxruntime[^/]*\\.(so[.0-9]*|dylib|dll)$`)];
  for (const p of sharpPackages(targetOf(target))) want.push(new RegExp(`^node_modules/@img/${p}/lib/.*\\.(node|so[.0-9]*|dylib|dll)$`));
  fail('missing', want.filter((re) => !matching(re).length).map(String));
});

check('tfjs (the wasm backend files) and face-api (its node-wasm build and every model the runtime loads) ship', () => {
  const want = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'].map((f) => `node_modules/@tensorflow/tfjs-backend-wasm/dist/${f}`);
  want.push('node_modules/@tensorflow/tfjs/dist/tf.node.js', 'node_modules/@vladmandic/face-api/dist/face-api.node-wasm.js', 'node_modules/@vscode-elements/elements/dist/bundled.js');
  for (const net of ['ssd_mobilenetv1_model', 'tiny_face_detector_model', 'face_landmark_68_model', 'face_expression_model']) {
    want.push(`node_modules/@vladmandic/face-api/model/${net}-weights_manifest.json`, `node_modules/@vladmandic/face-api/model/${net}.bin`);
  }
  fail('missing', want.filter((f) => !has(f)));
});

check('no sources, tests, scripts, source maps, build output or lock files', () => {
  fail('should not ship', matching(/^(src|test|scripts|out|test-output|\.ci|\.git)\/|\.(ts|mts|cts|map|tsbuildinfo|vsix)$|(^|\/)package-lock\.json$|^\.[^/]+$/));
});

check('no research data (CK+48) and nothing from ../shared', () => {
  fail('should not ship', matching(/ck\+?48|(^|\/)shared\/|\.\.\//i));
  const repoData = execFileSync('git', ['ls-files', 'docs'], { cwd: extDir, encoding: 'utf8' }).split('\n').filter(Boolean);
  const readme = fs.readFileSync(path.join(extDir, 'README.md'), 'utf8');
  fail('docs files the README does not show', repoData.filter((f) => has(f) && !readme.includes(`](${f})`)));
});

check(`no other platform's native binaries`, () => {
  const { os: o, cpu } = targetOf(target);
  const others = onnxruntimeBinDirs().filter((d) => d.os !== o || d.cpu !== cpu).map((d) => `node_modules/onnxruntime-node/${d.dir}/`);
  const keep = new Set(sharpPackages(targetOf(target)));
  others.push(...installedSharpPackages().filter((p) => !keep.has(p)).map((p) => `node_modules/@img/${p}/`));
  fail('should not ship', files.filter((f) => others.some((o2) => f.startsWith(o2))));
});

check('NOTICE names every third-party package the VSIX ships or dist/ bundles, with its licence', () => {
  const notice = execFileSync('unzip', ['-p', vsix, 'extension/NOTICE'], { encoding: 'utf8' });
  const missing = [...shippedPackages(files), ...bundledPackages(extDir)].filter((dir) => {
    const m = JSON.parse(fs.readFileSync(path.join(extDir, dir, 'package.json'), 'utf8'));
    return !notice.includes(`${m.name}@${m.version} (`);
  });
  fail('not in NOTICE', missing);
  for (const must of ['LGPL-3.0-or-later', 'Apache-2.0', 'MIT', 'BSD-3-Clause', 'libvips']) if (!notice.includes(must)) throw new Error(`NOTICE does not mention ${must}`);
});

check('engines.vscode is honest: no newer than the @types/vscode the code compiles against', () => {
  const types = JSON.parse(fs.readFileSync(path.join(extDir, 'node_modules/@types/vscode/package.json'), 'utf8')).version;
  const min = /^\^?(\d+)\.(\d+)\.(\d+)$/.exec(pkg.engines.vscode);
  if (!min) throw new Error(`engines.vscode "${pkg.engines.vscode}" is not a ^x.y.z range`);
  const [a, b] = [min.slice(1).map(Number), types.split('.').map(Number)];
  const cmp = a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
  if (cmp < 0) throw new Error(`engines.vscode ${pkg.engines.vscode} is older than @types/vscode ${types}: the code may call APIs that version lacks`);
});

check('Marketplace metadata: icon, categories, keywords, licence, walkthrough', () => {
  const missing = ['icon', 'categories', 'keywords', 'license', 'publisher', 'displayName', 'description'].filter((k) => !pkg[k] || (Array.isArray(pkg[k]) && !pkg[k].length));
  if (!pkg.contributes?.walkthroughs?.length) missing.push('contributes.walkthroughs');
  fail('package.json lacks', missing);
});

check('the size fits its budget (npm run size:vsix)', () => {
  const { report, over } = vsixSize(vsix);
  console.log(`    ${(report.vsixBytes / 1e6).toFixed(1)} MB VSIX, ${(report.unpackedBytes / 1e6).toFixed(1)} MB unpacked, ${report.files} files`);
  fail('over budget', over.map((k) => `${k} ${report[k]} > ${report.budget[k]}`));
});

check('npm run package refuses an unsupported target (Intel Mac) and names the supported ones, before building', () => {
  const r = spawnSync(process.execPath, ['scripts/vsix/package-vsix.mjs', '--target', 'darwin-x64'],
    { cwd: extDir, encoding: 'utf8' });
  if (r.status === 0 || !/unsupported target "darwin-x64"; supported: linux-x64, /.test(r.stderr)) throw new Error(`exit ${r.status}: ${r.stderr}`);
});

check('unpacked alone, the VSIX explains a face with the built-in model (native binaries, wasm, face-api models inside)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'au-lens-vsix-'));
  try {
    execFileSync('unzip', ['-q', vsix, 'extension/*', '-d', tmp]);
    const face = path.join(extDir, 'node_modules/@vladmandic/face-api/demo/sample2.jpg');
    // cwd and HOME in the temporary folder: Node then resolves packages only from the unpacked extension.
    const out = execFileSync(process.execPath, [path.join(tmp, 'extension/bin/au-lens.js'), 'explain', '--image', face, '--out', path.join(tmp, 'out'),
      '--cache', path.join(tmp, 'cache'), '--threads', '1', '--json'], { cwd: tmp, encoding: 'utf8', env: { ...process.env, HOME: tmp, NODE_PATH: '' }, timeout: 120_000 });
    const report = JSON.parse(out);
    const label = report.predicted ?? report.prediction ?? report.class;
    console.log(`    explained with the unpacked VSIX: ${typeof label === 'string' ? label : JSON.stringify(label)?.slice(0, 80)}`);
    if (!fs.existsSync(path.join(tmp, 'out/report.json'))) throw new Error('no report.json written');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
