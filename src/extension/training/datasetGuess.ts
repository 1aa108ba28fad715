/**
 * Which folders look like training data: at least two sub-folders (the classes) that hold images directly.
 * Pure, so it is tested without an editor; the wizard feeds it the image paths a workspace search found.
 */
import * as path from 'node:path';

export interface DatasetGuess {
  readonly folder: string;
  /** Class folder names, sorted. */
  readonly classes: readonly string[];
  readonly images: number;
}

/** Data folders among the parents of `imagePaths`, most images first. */
export function guessDatasets(imagePaths: readonly string[]): DatasetGuess[] {
  const byRoot = new Map<string, Map<string, number>>();
  for (const file of imagePaths) {
    const classDir = path.dirname(file);
    const root = path.dirname(classDir);
    if (root === classDir) continue;
    const classes = byRoot.get(root) ?? new Map<string, number>();
    classes.set(path.basename(classDir), (classes.get(path.basename(classDir)) ?? 0) + 1);
    byRoot.set(root, classes);
  }
  return [...byRoot.entries()]
    .filter(([, classes]) => classes.size >= 2)
    .map(([folder, classes]) => ({ folder, classes: [...classes.keys()].sort(),
      images: [...classes.values()].reduce((a, b) => a + b, 0) }))
    .sort((a, b) => b.images - a.images || a.folder.localeCompare(b.folder));
}
