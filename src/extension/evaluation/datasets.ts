/**
 * Folders that look like data sets: at least two subfolders named after expressions (any spelling the trainer
 * accepts), as `au-lens train --data` expects. Searched a few levels under the workspace folders.
 */
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { parseExpression } from '../../trainer/science/labels';

const SKIPPED = new Set(['node_modules', '.git', 'dist', 'out', 'runs']);

export async function findDatasets(root: string, depth = 3): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const dirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.'));
  if (dirs.filter((d) => parseExpression(d.name) !== undefined).length >= 2) return [root];
  if (depth === 0) return [];
  const nested = await Promise.all(dirs.filter((d) => !SKIPPED.has(d.name)).map((d) => findDatasets(path.join(root, d.name), depth - 1)));
  return nested.flat();
}
