// The VSIX size budget: `npm run size:vsix [-- file.vsix]` prints JSON (VSIX and unpacked bytes, and the biggest
// contributors by package or folder) and exits 1 when a budget is exceeded. Package first (`npm run package`).
// The budgets sit just above the linux-x64 VSIX measured when they were set; what dominates is onnxruntime's shared
// library, then sharp's libvips, then face-api's SSD MobileNet weights and the tfjs bundles.
import fs from 'node:fs';
import { defaultVsix, owner, vsixEntries } from './vsix-contents.mjs';

export const BUDGET = { vsixBytes: 35_000_000, unpackedBytes: 88_000_000 };

/** Sizes of one VSIX and whether they fit the budget. */
export function vsixSize(vsix) {
  const entries = vsixEntries(vsix);
  const byOwner = new Map();
  for (const e of entries) {
    const o = byOwner.get(owner(e.name)) ?? { path: owner(e.name), bytes: 0, packed: 0, files: 0 };
    o.bytes += e.bytes; o.packed += e.packed; o.files += 1;
    byOwner.set(o.path, o);
  }
  const report = {
    vsix,
    vsixBytes: fs.statSync(vsix).size,
    unpackedBytes: entries.reduce((s, e) => s + e.bytes, 0),
    files: entries.length,
    budget: BUDGET,
    top: [...byOwner.values()].sort((a, b) => b.packed - a.packed).slice(0, 12),
  };
  const over = Object.keys(BUDGET).filter((k) => report[k] > BUDGET[k]);
  return { report, over };
}

if (process.argv[1]?.endsWith('check-vsix-size.mjs')) {
  const vsix = process.argv[2] ?? defaultVsix();
  if (!fs.existsSync(vsix)) {
    console.error(`${vsix} does not exist: run "npm run package" first`);
    process.exit(1);
  }
  const { report, over } = vsixSize(vsix);
  console.log(JSON.stringify(report, null, 2));
  for (const k of over) console.error(`over budget: ${k} ${report[k]} > ${BUDGET[k]}`);
  process.exit(over.length ? 1 : 0);
}
