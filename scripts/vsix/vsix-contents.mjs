// Reads a VSIX's entry list (with `unzip -v`, which every test machine here has): name, unpacked and packed bytes.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { extDir, hostTarget } from './vsix-targets.mjs';

/** The VSIX `npm run package` writes for a target (the host's by default). */
export function defaultVsix(target = hostTarget()) {
  const { version } = JSON.parse(fs.readFileSync(path.join(extDir, 'package.json'), 'utf8'));
  return path.join(extDir, `au-lens-${target}-${version}.vsix`);
}

/** @returns {{ name: string, bytes: number, packed: number }[]} */
export function vsixEntries(vsix) {
  const out = execFileSync('unzip', ['-v', vsix], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const entries = [];
  // "  Length  Method    Size  Cmpr    Date    Time   CRC-32   Name"; names may hold spaces, so take the rest of the line.
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+\S+\s+(\d+)\s+\S+\s+\S+\s+\S+\s+[0-9a-f]{8}\s+(.+)$/.exec(line);
    if (m) entries.push({ name: m[3], bytes: Number(m[1]), packed: Number(m[2]) });
  }
  return entries;
}

/** What a path inside the extension belongs to: its package (node_modules/@s/p) or its top-level folder or file. */
export function owner(name) {
  const rel = name.replace(/^extension\//, '');
  const pkg = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(rel);
  if (pkg) return pkg[1];
  return rel.split('/')[0];
}
