// Writes NOTICE: the licence of every third-party package the VSIX ships, read from the package itself (its "license"
// field and licence file), grouped so that each distinct licence text appears once. Two kinds ship: packages in
// node_modules (scripts/vsix/package-vsix.mjs passes the files vsce is about to pack, so the list matches the platform)
// and packages esbuild bundled into dist/ (read from the development build's source maps).
import fs from 'node:fs';
import path from 'node:path';

const LICENCE_FILE = /^(licen[cs]e|copying|notice)(\.(md|txt))?$/i;

/** The package folders (node_modules/a, node_modules/@s/b, nested ones too) that own at least one of `files`. */
export function shippedPackages(files) {
  const dirs = new Set();
  for (const f of files) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(f);
    if (m) dirs.add(m[1]);
  }
  return [...dirs].sort();
}

/** The packages esbuild bundled into dist/*.js, from the source maps of a development build (`npm run build`). */
export function bundledPackages(root) {
  const dist = path.join(root, 'dist');
  const maps = fs.readdirSync(dist, { recursive: true }).map(String).filter((f) => f.endsWith('.js.map'));
  if (!maps.length) throw new Error('dist/ has no source maps to read the bundled packages from: run "npm run build" first');
  const dirs = new Set();
  for (const map of maps) {
    for (const source of JSON.parse(fs.readFileSync(path.join(dist, map), 'utf8')).sources) {
      const rel = path.relative(root, path.resolve(path.dirname(path.join(dist, map)), source)).split(path.sep).join('/');
      const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(rel);
      if (m) dirs.add(m[1]);
    }
  }
  return [...dirs];
}

/** Packages whose shipped file embeds others: VS Code Elements' dist/bundled.js carries lit. */
const EMBEDDED = { '@vscode-elements/elements': ['lit', 'lit-html', 'lit-element', '@lit/reactive-element', '@lit/context'] };

/** Where a package's licence text beyond its own code lives: libvips lists the libraries it bundles in its README. */
function bundledLicences(dir) {
  const readme = path.join(dir, 'README.md');
  if (!path.basename(dir).startsWith('sharp-libvips-') || !fs.existsSync(readme)) return '';
  const m = /## Licensing\n([\s\S]*?)(?=\n## |$)/.exec(fs.readFileSync(readme, 'utf8'));
  return m ? `\n${m[1].trim()}\n` : '';
}

export function noticeText(root, packageDirs) {
  const groups = new Map(); // licence text → packages
  for (const rel of packageDirs) {
    const dir = path.join(root, rel);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const licence = typeof pkg.license === 'string' ? pkg.license : pkg.license?.type ?? 'UNKNOWN';
    const file = fs.readdirSync(dir).find((n) => LICENCE_FILE.test(n));
    const text = (file ? fs.readFileSync(path.join(dir, file), 'utf8').trim() : `(the package carries no licence file; it is licensed ${licence})`) + bundledLicences(dir);
    const entry = `${pkg.name}@${pkg.version} (${licence})`;
    groups.set(text, [...(groups.get(text) ?? []), entry]);
  }
  const parts = ['AU Lens ships the following third-party packages, in node_modules/ or bundled into dist/ (face-api\'s model\n' +
    'weights in node_modules/@vladmandic/face-api/model come under its MIT licence). Each section lists packages and\nthe licence text that covers them.\n'];
  for (const [text, names] of groups) parts.push(`${'='.repeat(78)}\n${[...new Set(names)].join('\n')}\n${'-'.repeat(78)}\n${text}\n`);
  return parts.join('\n');
}

export function writeNotice(root, files) {
  const dirs = new Set([...shippedPackages(files), ...bundledPackages(root)]);
  for (const dir of [...dirs]) {
    const { name } = JSON.parse(fs.readFileSync(path.join(root, dir, 'package.json'), 'utf8'));
    for (const dep of EMBEDDED[name] ?? []) if (fs.existsSync(path.join(root, 'node_modules', dep, 'package.json'))) dirs.add(`node_modules/${dep}`);
  }
  fs.writeFileSync(path.join(root, 'NOTICE'), noticeText(root, [...dirs].sort()));
}
