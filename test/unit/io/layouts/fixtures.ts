/**
 * Small datasets in each public layout, made at test time from CK+48 crops (../shared/data/ck48, research-only:
 * nothing here is committed but this code). Each builder returns what a correct reader must find. The label codes
 * are written out here from each dataset's documentation, not taken from the code under test.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';
import type { Expression } from '../../../../src/trainer/science/labels';
import { ck48Dir } from '../../../helpers/paths';
import { makeTempDir } from '../fixtures';

export interface Face {
  /** CK+48 class folder (contempt included). */
  readonly label: Expression;
  readonly subject: string;
  readonly file: string;
}

export interface Expected {
  readonly relPath: string;
  readonly label: Expression;
  readonly part?: 'train' | 'val' | 'test';
  readonly subject?: string;
}

const CK_CLASSES: readonly Expression[] = ['anger', 'contempt', 'disgust', 'fear', 'happy', 'sad', 'surprise'];

/** The first `perClass` crops of each CK+48 class, by file name. */
export async function ckFaces(perClass: number): Promise<Face[]> {
  const faces: Face[] = [];
  for (const label of CK_CLASSES) {
    const names = (await readdir(path.join(ck48Dir, label))).filter((n) => n.endsWith('.png')).sort().slice(0, perClass);
    for (const name of names) faces.push({ label, subject: name.slice(0, 4), file: path.join(ck48Dir, label, name) });
  }
  return faces;
}

export async function write(root: string, rel: string, content: string | Buffer | Uint8Array): Promise<string> {
  const file = path.join(root, ...rel.split('/'));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

async function jpeg(face: Face, root: string, rel: string): Promise<void> {
  await write(root, rel, await sharp(face.file).jpeg({ quality: 95 }).toBuffer());
}

/** The 48×48 grey levels of a crop, as FER2013 stores them. */
export async function greyLevels(file: string): Promise<Uint8Array> {
  const { data } = await sharp(file).greyscale().raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data);
}

/** Every third face goes to the test part, the rest to train. */
const partOf = (i: number): 'train' | 'test' => (i % 3 === 2 ? 'test' : 'train');

/** RAF-DB basic codes (RAF-DB's README): 1 surprise … 7 neutral. */
export const RAF_CODES: Readonly<Partial<Record<Expression, number>>> = { surprise: 1, fear: 2, disgust: 3, happy: 4, sad: 5, anger: 6, neutral: 7 };

/** RAF-DB's list and one image per face (contempt has no RAF-DB code and is left out); `image` writes the image. */
async function makeRafDb(root: string, faces: readonly Face[], eol: string,
  image: (face: Face, name: string) => Promise<string>): Promise<Expected[]> {
  const lines: string[] = [];
  const expected: Expected[] = [];
  let n = 0;
  for (const face of faces.filter((f) => RAF_CODES[f.label] !== undefined)) {
    const part = partOf(n);
    const name = `${part}_${String(++n).padStart(5, '0')}`;
    lines.push(`${name}.jpg ${RAF_CODES[face.label]}`);
    expected.push({ relPath: await image(face, name), label: face.label, part });
  }
  await write(root, 'EmoLabel/list_patition_label.txt', `${lines.join(eol)}${eol}`);
  return expected;
}

/** RAF-DB with aligned faces (Image/aligned/<name>_aligned.jpg). */
export async function makeRafDbAligned(root: string, faces: readonly Face[]): Promise<Expected[]> {
  return makeRafDb(root, faces, '\n', async (face, name) => {
    await jpeg(face, root, `Image/aligned/${name}_aligned.jpg`);
    return `Image/aligned/${name}_aligned.jpg`;
  });
}

/** FER2013 codes (the Kaggle challenge): 0 angry, 1 disgust, 2 fear, 3 happy, 4 sad, 5 surprise, 6 neutral. */
export const FER_CODES: Readonly<Partial<Record<Expression, number>>> = { anger: 0, disgust: 1, fear: 2, happy: 3, sad: 4, surprise: 5, neutral: 6 };
const USAGES = ['Training', 'PublicTest', 'PrivateTest'] as const;
export const USAGE_PART = { Training: 'train', PublicTest: 'val', PrivateTest: 'test' } as const;

/** fer2013.csv rows (emotion, pixels, Usage), CRLF like the original; returns the rows' faces in order. */
export async function makeFer2013(root: string, faces: readonly Face[]): Promise<{ expected: Expected[]; rows: string[] }> {
  const rows: string[] = [];
  const expected: Expected[] = [];
  for (const face of faces.filter((f) => FER_CODES[f.label] !== undefined)) {
    const usage = USAGES[rows.length % 3]!;
    const pixels = Array.from(await greyLevels(face.file)).join(' ');
    expected.push({ relPath: `fer2013.csv#${String(rows.length).padStart(7, '0')}`, label: face.label, part: USAGE_PART[usage] });
    rows.push(`${FER_CODES[face.label]},${pixels},${usage}`);
  }
  await write(root, 'fer2013.csv', `emotion,pixels,Usage\r\n${rows.join('\r\n')}\r\n`);
  return { expected, rows };
}

/** AffectNet codes (its paper): 0 neutral, 1 happy, 2 sad, 3 surprise, 4 fear, 5 disgust, 6 anger, 7 contempt. */
export const AFFECTNET_CODES: Readonly<Partial<Record<Expression, number>>> = {
  neutral: 0, happy: 1, sad: 2, surprise: 3, fear: 4, disgust: 5, anger: 6, contempt: 7,
};

/** training.csv / validation.csv with images under Manually_Annotated_Images/<n>/, plus one "no face" (10) row. */
export async function makeAffectNetCsv(root: string, faces: readonly Face[]): Promise<Expected[]> {
  const header = 'subDirectory_filePath,face_x,face_y,face_width,face_height,facial_landmarks,expression,valence,arousal';
  const files: Record<'train' | 'test', string[]> = { train: [header], test: [header] };
  const expected: Expected[] = [];
  for (const [i, face] of faces.entries()) {
    const part = partOf(i);
    const rel = `${i % 2}/${path.basename(face.file, '.png')}.jpg`;
    await jpeg(face, root, `Manually_Annotated_Images/${rel}`);
    files[part].push(`${rel},2,3,40,41,"1.0;2.0;3.0",${AFFECTNET_CODES[face.label]},0.1,-0.2`);
    if (face.label !== 'contempt') expected.push({ relPath: `Manually_Annotated_Images/${rel}`, label: face.label, part });
  }
  await jpeg(faces[0]!, root, 'Manually_Annotated_Images/9/noface.jpg');
  files.train.push('9/noface.jpg,0,0,48,48,"",10,-2,-2');
  await write(root, 'training.csv', `${files.train.join('\n')}\n`);
  await write(root, 'validation.csv', `${files.test.join('\n')}\n`);
  return expected;
}

/** One .npy label file: a 1-character string as the widespread copy stores it, or any npyjs array. */
export async function npyLabel(value: number, as: 'U1' | 'i8' | 'u1' | 'f8'): Promise<Buffer> {
  // npyjs is an ES module; these tests compile to CommonJS.
  const { dump } = await import('npyjs');
  const buffer = as === 'U1' ? dump([String(value)], [], { dtype: 'U1' })
    : dump(as === 'i8' ? new BigInt64Array([BigInt(value)]) : as === 'u1' ? new Uint8Array([value]) : new Float64Array([value]), []);
  return Buffer.from(buffer);
}

/** train_set / val_set with images/<id>.jpg and annotations/<id>_exp.npy (labels as strings and as integers). */
export async function makeAffectNetNpy(root: string, faces: readonly Face[]): Promise<Expected[]> {
  const expected: Expected[] = [];
  for (const [i, face] of faces.entries()) {
    const part = partOf(i);
    const set = part === 'train' ? 'train_set' : 'val_set';
    await jpeg(face, root, `${set}/images/${i}.jpg`);
    await write(root, `${set}/annotations/${i}_exp.npy`, await npyLabel(AFFECTNET_CODES[face.label]!, i % 2 === 0 ? 'U1' : 'i8'));
    await write(root, `${set}/annotations/${i}_val.npy`, await npyLabel(0, 'f8'));
    if (face.label !== 'contempt') expected.push({ relPath: `${set}/images/${i}.jpg`, label: face.label, part });
  }
  return expected;
}

/** manifest.csv (path,label,subject,split) over PNG copies, with class names spelt as users do. */
export async function makeCsvManifest(root: string, faces: readonly Face[]): Promise<Expected[]> {
  const spelling: Partial<Record<Expression, string>> = { anger: 'Angry', happy: 'happiness', sad: 'SAD', surprise: 'surprised' };
  const rows = ['path,label,subject,split'];
  const expected: Expected[] = [];
  for (const [i, face] of faces.entries()) {
    const rel = `images/${face.subject}/${path.basename(face.file)}`;
    await write(root, rel, await sharp(face.file).png().toBuffer());
    const part = partOf(i);
    rows.push(`${rel},${spelling[face.label] ?? face.label},${face.subject},${part}`);
    expected.push({ relPath: rel, label: face.label, part, subject: face.subject });
  }
  await write(root, 'manifest.csv', `${rows.join('\n')}\n`);
  return expected;
}

/** Where makeRafDbOriginal puts each face in its 120×90 photo, and the box file it writes (read as y0 x0 y1 x1). */
export const RAF_PHOTO = { width: 120, height: 90, faceX: 50, faceY: 20, box: '20.0 50.0 68.0 98.0' } as const;

/** A RAF-DB photo: the 48×48 crop pasted onto mid grey at (faceX, faceY). */
export async function rafPhoto(face: Face): Promise<Buffer> {
  return sharp({ create: { width: RAF_PHOTO.width, height: RAF_PHOTO.height, channels: 3, background: { r: 128, g: 128, b: 128 } } })
    .composite([{ input: await sharp(face.file).toColourspace('srgb').png().toBuffer(), left: RAF_PHOTO.faceX, top: RAF_PHOTO.faceY }])
    .png()
    .toBuffer();
}

/** RAF-DB with original photos (PNG bytes under .jpg names: sharp reads by content) and box files, CRLF list. */
export async function makeRafDbOriginal(root: string, faces: readonly Face[]): Promise<Expected[]> {
  return makeRafDb(root, faces, '\r\n', async (face, name) => {
    await write(root, `Image/original/${name}.jpg`, await rafPhoto(face));
    await write(root, `Annotation/boundingbox/${name}_boundingbox.txt`, `${RAF_PHOTO.box}\n`);
    return `Image/original/${name}.jpg`;
  });
}

/**
 * Mocha hooks for a suite of fixtures: CK+48 faces (`perClass` of each class, contempt dropped unless asked), a
 * temp folder removed afterwards, and a fresh sub-folder per call. The suite is skipped where CK+48 is absent.
 */
export function useFixtures(prefix: string, perClass: number, keepContempt = false): { faces: () => Face[]; fresh: () => string } {
  let faces: Face[] = [];
  let temp: { dir: string; cleanup: () => Promise<void> } | undefined;
  let n = 0;
  before(async function () {
    if (!existsSync(ck48Dir)) this.skip();
    faces = (await ckFaces(perClass)).filter((f) => keepContempt || f.label !== 'contempt');
    temp = await makeTempDir(prefix);
  });
  after(async () => temp?.cleanup());
  return { faces: () => faces, fresh: () => path.join(temp!.dir, String(n++)) };
}
