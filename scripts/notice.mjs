// Writes NOTICE: the licence of every third-party package the VSIX ships, read from the package itself (its "license"
// field and licence file), grouped so that each distinct licence text appears once. scripts/package-vsix.mjs calls
// it with the files vsce is about to pack, so the list always matches what ships for that platform.
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
  const parts = ['AU Lens ships the following third-party packages. Each section lists packages and the licence text that covers them.\n'];
  for (const [text, names] of groups) parts.push(`${'='.repeat(78)}\n${[...new Set(names)].join('\n')}\n${'-'.repeat(78)}\n${text}\n`);
  return parts.join('\n');
}

export function writeNotice(root, files) {
  fs.writeFileSync(path.join(root, 'NOTICE'), noticeText(root, shippedPackages(files)));
}
