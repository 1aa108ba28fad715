import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Dataset } from '../../../src/trainer/io/dataset';
import { DatasetError, readImageFolder, UNMATCHED_SUBJECT_PREFIX } from '../../../src/trainer/io/dataset';
import { readDataset } from '../../../src/trainer/io/layouts/readDataset';
import { buildManifest, manifestHash, writeManifest } from '../../../src/trainer/io/manifest';
import type { Expression } from '../../../src/trainer/science/labels';
import { PAPER_CLASSES } from '../../../src/trainer/science/labels';
import { SPLIT_NAMES, splitBySubject, splitSummary, subjectsInSeveralSplits } from '../../../src/trainer/science/split';
import { ck48Dir } from '../../helpers/paths';

/** Creates `files` (paths relative to a new temp root) as tiny placeholders: nothing is decoded here. */
async function makeTree(files: readonly string[]): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'au-lens-dataset-'));
  for (const file of files) {
    const full = path.join(root, ...file.split('/'));
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, 'x');
  }
  return root;
}

async function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof DatasetError, `expected a DatasetError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

function kindsOf(dataset: Dataset): Record<string, string> {
  return Object.fromEntries(dataset.skipped.map((s) => [path.relative(dataset.root, s.path).split(path.sep).join('/'), s.kind]));
}

describe('readImageFolder', () => {
  const roots: string[] = [];
  const tree = async (files: readonly string[]): Promise<string> => {
    const root = await makeTree(files);
    roots.push(root);
    return root;
  };
  after(async () => {
    for (const root of roots) await rm(root, { recursive: true, force: true });
  });

  it('maps synonym folders, any case, and reads subjects from the CK+ prefix', async () => {
    const root = await tree([
      'angry/S010_004_00000017.png', 'angry/S011_001_00000002.PNG',
      'Happiness/S010_006_00000013.jpg', 'Happiness/sub/S012_002_00000001.jpeg',
    ]);
    const d = await readImageFolder(root);
    assert.deepEqual(d.samples.map((s) => [s.relPath, s.label, s.subject]), [
      ['Happiness/S010_006_00000013.jpg', 'happy', 'S010'],
      ['Happiness/sub/S012_002_00000001.jpeg', 'happy', 'S012'],
      ['angry/S010_004_00000017.png', 'anger', 'S010'],
      ['angry/S011_001_00000002.PNG', 'anger', 'S011'],
    ]);
    assert.equal(d.samples[0]?.path, path.join(root, 'Happiness', 'S010_006_00000013.jpg'));
    assert.deepEqual(d.classes, ['happy', 'anger']);
    assert.deepEqual(d.classCounts, { happy: 2, anger: 2 });
    assert.deepEqual(d.warnings, []);
    assert.deepEqual(d.skipped, []);
  });

  it('skips unknown class folders with one warning, and non-image, hidden and root-level files', async () => {
    const root = await tree([
      'happy/S001_001_1.png', 'happy/notes.txt', 'happy/.DS_Store', 'happy/S001_001_2.bmp',
      'sad/S002_001_1.png', 'sad/.cache/S002_001_9.png',
      'bored/S003_001_1.png', 'bored/S003_001_2.png',
      'labels.csv', '.git/config',
    ]);
    const d = await readImageFolder(root);
    assert.deepEqual(d.samples.map((s) => s.relPath), ['happy/S001_001_1.png', 'sad/S002_001_1.png']);
    assert.deepEqual(kindsOf(d), {
      '.git': 'hidden',
      'labels.csv': 'outside-class-folder',
      'bored/S003_001_1.png': 'unknown-class',
      'bored/S003_001_2.png': 'unknown-class',
      'happy/.DS_Store': 'hidden',
      'happy/notes.txt': 'not-an-image',
      'happy/S001_001_2.bmp': 'not-an-image',
      'sad/.cache': 'hidden',
    });
    assert.ok(d.skipped.every((s) => s.reason.length > 0));
    assert.equal(d.warnings.length, 1);
    assert.match(d.warnings[0] ?? '', /"bored".*2 file.*happy, surprise, fear/);
  });

  it('accepts custom extensions', async () => {
    const root = await tree(['happy/S001_1.bmp', 'sad/S002_1.BMP', 'sad/S002_2.png']);
    const d = await readImageFolder(root, { extensions: ['bmp'] });
    assert.deepEqual(d.samples.map((s) => s.relPath), ['happy/S001_1.bmp', 'sad/S002_1.BMP']);
    assert.deepEqual(kindsOf(d), { 'sad/S002_2.png': 'not-an-image' });
  });

  it('keeps only the selected classes, in their order, and skips the rest with a reason', async () => {
    const root = await tree(['contempt/S001_1.png', 'happy/S001_2.png', 'sad/S002_1.png', 'anger/S003_1.png']);
    const d = await readImageFolder(root, { classes: ['sad', 'happy', 'anger', 'neutral'] });
    assert.deepEqual(d.classes, ['sad', 'happy', 'anger']);
    assert.deepEqual(kindsOf(d), { 'contempt/S001_1.png': 'excluded-class' });
    assert.match(d.skipped[0]?.reason ?? '', /contempt/);
    await rejectsWith(readImageFolder(root, { classes: ['bogus' as Expression] }), /bogus/);
  });

  it('takes the subject from a custom pattern, as a RegExp or a string', async () => {
    const root = await tree(['happy/p07-a.png', 'happy/p08-b.png', 'sad/p07-c.png', 'sad/nested/p09-d.png']);
    const fromRegExp = await readImageFolder(root, { subjectPattern: /(?:^|\/)(p\d+)-/g });
    assert.deepEqual(fromRegExp.samples.map((s) => s.subject), ['p07', 'p08', 'p09', 'p07']);
    assert.deepEqual(fromRegExp.warnings, []);
    // The pattern sees the path inside the class folder, so a subject-per-folder layout works too.
    const byFolder = await tree(['happy/alice/1.png', 'happy/bob/1.png', 'sad/alice/2.png']);
    const fromString = await readImageFolder(byFolder, { subjectPattern: '^([^/]+)/' });
    assert.deepEqual(fromString.samples.map((s) => s.subject), ['alice', 'bob', 'alice']);
    await rejectsWith(readImageFolder(root, { subjectPattern: '(' }), /invalid subject pattern/);
  });

  it('makes each file without a subject its own subject, with one warning counting them', async () => {
    const root = await tree(['happy/S001_001_1.png', 'happy/img1.png', 'sad/img2.png', 'sad/img3.png']);
    const d = await readImageFolder(root);
    assert.deepEqual(d.samples.map((s) => s.subject), [
      'S001', `${UNMATCHED_SUBJECT_PREFIX}happy/img1.png`, `${UNMATCHED_SUBJECT_PREFIX}sad/img2.png`, `${UNMATCHED_SUBJECT_PREFIX}sad/img3.png`,
    ]);
    assert.equal(d.warnings.length, 1);
    assert.match(d.warnings[0] ?? '', /^3 of 4 image\(s\) do not match the subject pattern.*own subject/);
  });

  it('follows links to files and folders without looping on a link cycle', async function () {
    if (process.platform === 'win32') this.skip(); // symlinks need extra rights there
    const root = await tree(['happy/S001_1.png', 'store/S002_1.png']);
    await symlink(path.join(root, 'store'), path.join(root, 'sad'));
    await symlink(path.join(root, 'happy'), path.join(root, 'happy', 'loop'));
    await symlink(path.join(root, 'missing.png'), path.join(root, 'happy', 'S009_1.png'));
    const d = await readImageFolder(root);
    assert.deepEqual(d.samples.map((s) => [s.relPath, s.label]), [['happy/S001_1.png', 'happy'], ['sad/S002_1.png', 'sad']]);
    const kinds = kindsOf(d);
    assert.equal(kinds['happy/loop'], 'already-read');
    assert.equal(kinds['happy/S009_1.png'], 'unreadable');
    assert.equal(kinds['store'], 'already-read', 'the link sad/ read it first');
  });

  it('merges two folders of one class with a warning', async () => {
    const root = await tree(['happy/S001_1.png', 'Happiness/S002_1.png', 'sad/S003_1.png']);
    const d = await readImageFolder(root);
    assert.deepEqual(d.classCounts, { happy: 2, sad: 1 });
    assert.match(d.warnings.join('\n'), /"Happiness" and "happy" both mean happy/);
  });

  it('fails with an actionable DatasetError on a missing root, a file, an empty folder or one class', async () => {
    const empty = await tree([]);
    await rejectsWith(readImageFolder(path.join(empty, 'nope')), /does not exist/);
    const withFile = await tree(['file.png']);
    await rejectsWith(readImageFolder(path.join(withFile, 'file.png')), /is a file, not a folder/);
    await rejectsWith(readImageFolder(empty), /no images found.*happy/);
    await rejectsWith(readImageFolder(withFile), /1 image\(s\) sit directly in the root/);
    const onlyText = await tree(['happy/readme.txt', 'misc/S001_1.png']);
    await rejectsWith(readImageFolder(onlyText), /no images found.*1 not-an-image, 1 unknown-class/);
    const oneClass = await tree(['happy/S001_1.png', 'happy/S002_1.png']);
    await rejectsWith(readImageFolder(oneClass), /only one class.*happy \(2 images\)/);
    const filtered = await tree(['happy/S001_1.png', 'sad/S002_1.png']);
    await rejectsWith(readImageFolder(filtered, { classes: ['happy'] }), /only one class.*left out by the classes option/);
  });
});

describe('dataset manifest', () => {
  let root = '';
  before(async () => {
    root = await makeTree([
      'happy/S001_1.png', 'happy/S002_1.png', 'happy/S003_1.png', 'happy/notes.txt',
      'sad/S001_2.png', 'sad/S002_2.png', 'sad/S003_2.png',
    ]);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('hashes sorted relPaths and labels: stable across locations, changed by a relabel', async () => {
    const d = await readImageFolder(root);
    const hash = manifestHash(d);
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.equal(manifestHash({ samples: [...d.samples].reverse() }), hash);
    assert.equal(manifestHash({ samples: d.samples.map((s) => ({ ...s, path: `/elsewhere/${s.relPath}`, subject: 'x' })) }), hash);
    const relabelled = d.samples.map((s, i) => (i === 0 ? { ...s, label: 'sad' as const } : s));
    assert.notEqual(manifestHash({ samples: relabelled }), hash);
  });

  it('writes samples with their split, layout, skipped files and counts, atomically', async () => {
    const d = await readDataset(root);
    const split = splitBySubject(d.samples, { train: 1, val: 1, test: 1 }, 0);
    const out = path.join(root, 'out', 'deep', 'manifest.json');
    const written = await writeManifest(d, split, 'subjects', out);
    const json = JSON.parse(await readFile(out, 'utf8')) as unknown;
    assert.deepEqual(json, JSON.parse(JSON.stringify(written)));
    assert.deepEqual(written, buildManifest(d, split, 'subjects'));
    assert.deepEqual(await readdir(path.dirname(out)), ['manifest.json'], 'no temp file left behind');
    assert.equal(written.hash, manifestHash(await readImageFolder(root)), 'the same hash as before layouts were read');
    assert.equal(written.version, 2);
    assert.equal(written.layout, 'image-folder');
    assert.equal(written.splitMode, 'subjects');
    assert.equal(written.counts.images, 6);
    assert.equal(written.counts.subjects, 3);
    assert.equal(written.counts.skipped, 1);
    assert.deepEqual(written.skipped, [{ kind: 'not-an-image', count: 1, reason: written.skipped[0]?.reason, examples: ['happy/notes.txt'] }]);
    assert.ok(written.samples.every((s) => s.part === null), 'image folders have no official part');
    for (const name of SPLIT_NAMES) {
      assert.equal(written.samples.filter((s) => s.split === name).length, split[name].length);
      assert.equal(written.counts.splits[name].images, split[name].length);
    }
    await writeManifest(d, split, 'subjects', out);
    assert.deepEqual(await readFile(out, 'utf8'), `${JSON.stringify(written, null, 2)}\n`, 'same inputs, same bytes');
    assert.throws(() => buildManifest(d, { train: [99], val: [], test: [] }, 'subjects'), RangeError);
  });
});

describe('CK+48 (real data, research-only)', function () {
  before(function () {
    if (!existsSync(ck48Dir)) this.skip();
  });

  it('reads 981 images of 118 subjects in 7 classes, skipping only the AU csv', async () => {
    const d = await readImageFolder(ck48Dir);
    assert.equal(d.samples.length, 981);
    assert.equal(new Set(d.samples.map((s) => s.subject)).size, 118);
    assert.deepEqual(d.classCounts, { happy: 207, surprise: 249, fear: 75, anger: 135, disgust: 177, sad: 84, contempt: 54 });
    assert.deepEqual(d.warnings, []);
    assert.deepEqual(kindsOf(d), { 'au-labels.csv': 'outside-class-folder' });
    assert.ok(d.samples.every((s) => /^S\d{3}$/.test(s.subject)));
  });

  it('keeps 927 images without contempt, and a 70/15/15 subject split covers all 6 classes everywhere', async () => {
    const d = await readImageFolder(ck48Dir, { classes: PAPER_CLASSES });
    assert.equal(d.samples.length, 927);
    assert.deepEqual(d.classes, ['happy', 'surprise', 'fear', 'anger', 'disgust', 'sad']);
    assert.equal(d.skipped.filter((s) => s.kind === 'excluded-class').length, 54);
    for (const seed of [0, 1, 2]) {
      const split = splitBySubject(d.samples, { train: 0.7, val: 0.15, test: 0.15 }, seed);
      assert.deepEqual(subjectsInSeveralSplits(d.samples, split), []);
      assert.equal(split.train.length + split.val.length + split.test.length, 927);
      const summary = splitSummary(d.samples, split);
      for (const name of SPLIT_NAMES) {
        for (const label of d.classes) assert.ok(summary[name].classes[label].images > 0, `seed ${seed}: no ${label} in ${name}`);
      }
      assert.ok(Math.abs(split.train.length / 927 - 0.7) < 0.03);
    }
  });
});
