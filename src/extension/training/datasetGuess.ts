/**
 * Which folders look like training data: a dataset in a layout of its own (RAF-DB, FER2013, FERPlus, AffectNet),
 * found by the trainer's light layout detection, or at least two sub-folders (the classes) that hold images
 * directly. Pure, so it is tested without an editor; the workspace search feeds it the image paths it found and
 * the layouts it recognised.
 */
import * as path from 'node:path';
import type { LayoutName } from '../../trainer/io/layouts/types';

export interface DatasetGuess {
  readonly folder: string;
  /** How the trainer will read it: 'image-folder' for class sub-folders. */
  readonly layout: LayoutName;
  /** Class folder names, sorted; empty for a layout whose labels are in a file. */
  readonly classes: readonly string[];
  /** Images the workspace search found in it; undefined where the images are rows of a CSV (FER2013). */
  readonly images: number | undefined;
}

/** A dataset the workspace search recognised by its files (layout detection ran on `folder`). */
export interface FoundLayout {
  readonly folder: string;
  readonly layout: Exclude<LayoutName, 'image-folder' | 'csv-manifest'>;
}

const LAYOUT_TITLES: Readonly<Record<FoundLayout['layout'], string>> = {
  'rafdb-aligned': 'RAF-DB basic, aligned faces',
  'rafdb-original': 'RAF-DB basic, original photos cut by their boxes',
  fer2013: 'FER2013, 48×48 rows of fer2013.csv',
  ferplus: 'FERPlus, fer2013new.csv votes over FER2013',
  'affectnet-csv': 'AffectNet, training.csv and validation.csv',
  'affectnet-npy': 'AffectNet, train_set and val_set',
};

const inside = (folder: string, file: string): boolean => file.startsWith(folder + path.sep);

/** Datasets among `layouts` and the parents of `imagePaths`: recognised layouts first, then most images first. */
export function guessDatasets(imagePaths: readonly string[], layouts: readonly FoundLayout[] = []): DatasetGuess[] {
  const byRoot = new Map<string, Map<string, number>>();
  const layoutImages = new Map<string, number>(layouts.map((l) => [l.folder, 0]));
  for (const file of imagePaths) {
    // An image of a recognised dataset belongs to it, never to a class-folder guess (RAF-DB's Image/aligned).
    const owner = layouts.find((l) => inside(l.folder, file));
    if (owner) {
      layoutImages.set(owner.folder, layoutImages.get(owner.folder)! + 1);
      continue;
    }
    const classDir = path.dirname(file);
    const root = path.dirname(classDir);
    if (root === classDir) continue;
    const classes = byRoot.get(root) ?? new Map<string, number>();
    classes.set(path.basename(classDir), (classes.get(path.basename(classDir)) ?? 0) + 1);
    byRoot.set(root, classes);
  }
  const found = layouts.map((l): DatasetGuess => ({
    folder: l.folder, layout: l.layout, classes: [],
    images: l.layout === 'fer2013' || l.layout === 'ferplus' ? undefined : layoutImages.get(l.folder),
  }));
  const folders = [...byRoot.entries()]
    .filter(([, classes]) => classes.size >= 2)
    .map(([folder, classes]): DatasetGuess => ({ folder, layout: 'image-folder', classes: [...classes.keys()].sort(),
      images: [...classes.values()].reduce((a, b) => a + b, 0) }))
    .sort((a, b) => b.images! - a.images! || a.folder.localeCompare(b.folder));
  return [...found.sort((a, b) => a.folder.localeCompare(b.folder)), ...folders];
}

/** What a pick shows of a guess: its kind, classes or layout, and how many images the search saw. */
export function describeGuess(guess: DatasetGuess): string {
  const images = guess.images === undefined ? '' : ` · ${guess.images} images`;
  if (guess.layout === 'image-folder' || guess.layout === 'csv-manifest') {
    const names = `${guess.classes.slice(0, 7).join(', ')}${guess.classes.length > 7 ? ', …' : ''}`;
    return `${guess.classes.length} classes (${names})${images}`;
  }
  return `${LAYOUT_TITLES[guess.layout]} · official train/test split${images}`;
}

/**
 * The files that mark a dataset in a layout of its own (one search for the named files, one for AffectNet's
 * labels, of which a copy holds 290,000), and the folder layout detection should look at for each.
 */
export const LAYOUT_FILES_GLOB =
  '**/{list_patition_label.txt,fer2013.csv,icml_face_data.csv,fer2013new.csv,training.csv}';
export const AFFECTNET_LABELS_GLOB = '**/annotations/*_exp.npy';

export function markerRoot(file: string): string | undefined {
  const name = path.basename(file);
  const dir = path.dirname(file);
  if (name === 'list_patition_label.txt') return path.basename(dir) === 'EmoLabel' ? path.dirname(dir) : undefined;
  if (name.endsWith('_exp.npy')) {
    // <root>/train_set|val_set/annotations/<id>_exp.npy
    return path.basename(dir) === 'annotations' ? path.dirname(path.dirname(dir)) : undefined;
  }
  return dir;
}
