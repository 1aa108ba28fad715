import assert from 'node:assert/strict';
import { cp } from 'node:fs/promises';
import * as path from 'node:path';
import { readFerPlus } from '../../../../src/trainer/io/layouts/fer2013';
import { detectLayout } from '../../../../src/trainer/io/layouts/detect';
import { readDataset } from '../../../../src/trainer/io/layouts/readDataset';
import type { LayoutDataset, LayoutName } from '../../../../src/trainer/io/layouts/types';
import { PAPER_CLASSES } from '../../../../src/trainer/science/labels';
import { splitLayout } from '../../../../src/trainer/train/dataSplit';
import { ck48Dir } from '../../../helpers/paths';
import type { Expected, Face } from './fixtures';
import {
  ckFaces, makeAffectNetCsv, makeAffectNetNpy, makeCsvManifest, makeFer2013, makeRafDbAligned, useFixtures, write,
} from './fixtures';

function found(d: LayoutDataset): Expected[] {
  return d.samples.map((s) => ({ relPath: s.relPath, label: s.label, ...(s.part !== undefined && { part: s.part }) }));
}

function sorted(expected: readonly Expected[]): Expected[] {
  return expected.map(({ relPath, label, part }) => ({ relPath, label, ...(part !== undefined && { part }) }))
    .sort((a, b) => (a.relPath < b.relPath ? -1 : 1));
}

describe('dataset layouts: labels, official parts and subjects from CK+48-made fixtures', function () {
  this.timeout(60_000);
  const fixtures = useFixtures('layouts', 3, true);
  const fresh = fixtures.fresh;
  let faces: Face[];
  before(() => { faces = fixtures.faces(); });

  async function check(root: string, expected: readonly Expected[], layout: LayoutName, data = root): Promise<LayoutDataset> {
    assert.equal((await detectLayout(data)).layout, layout);
    const d = await readDataset(data, { classes: PAPER_CLASSES });
    assert.equal(d.layout, layout);
    assert.deepEqual(found(d), sorted(expected.filter((e) => PAPER_CLASSES.includes(e.label))));
    assert.equal(d.hasOfficialSplit, expected.every((e) => e.part !== undefined));
    return d;
  }

  it('RAF-DB aligned: list codes 1..7 onto our classes, train_/test_ as the official parts', async () => {
    const root = fresh();
    const expected = await makeRafDbAligned(root, faces);
    const d = await check(root, expected, 'rafdb-aligned');
    assert.deepEqual(d.labelFiles, ['EmoLabel/list_patition_label.txt']);
    assert.ok(d.samples.every((s) => s.subject === `file:${s.relPath}` && s.source.kind === 'file'));
    // The RAF-DB folder itself, its basic/ parent, or the list file all lead to the same dataset.
    const parent = path.join(fresh(), 'RAF-DB');
    await cp(root, path.join(parent, 'basic'), { recursive: true });
    assert.deepEqual(found(await readDataset(parent)), sorted(expected));
    assert.deepEqual(found(await readDataset(path.join(root, 'EmoLabel', 'list_patition_label.txt'))), sorted(expected));
  });

  it('FER2013: emotion codes, Usage Training/PublicTest/PrivateTest = train/val/test, pixels as CSV sources', async () => {
    const root = fresh();
    const { expected } = await makeFer2013(root, faces);
    const d = await check(root, expected, 'fer2013');
    const first = d.samples[0]!.source;
    assert.equal(first.kind, 'csv-pixels');
    assert.ok(first.kind === 'csv-pixels' && first.width === 48 && first.line === 2 && first.column === 1);
    assert.equal((await detectLayout(path.join(root, 'fer2013.csv'))).layout, 'fer2013');
  });

  it('FERPlus: the majority rule over fer2013new.csv votes, unknown / NF / no-majority dropped, pixels from fer2013.csv', async () => {
    const root = fresh();
    const { expected } = await makeFer2013(root, faces.filter((f) => f.label !== 'contempt').slice(0, 6));
    // Votes: neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF
    const votes = [
      '0,6,1,0,0,0,0,0,3,0', // happy: 6 of 9 after the single surprise vote is dropped
      '4,0,0,1,3,2,0,0,0,0', // 4 of 9 (the sadness vote dropped): no majority
      '0,0,0,0,0,0,0,0,7,3', // unknown
      '0,0,0,0,0,0,0,0,0,10', // not a face
      '1,1,1,1,1,0,0,0,0,5', // all single votes dropped: NF alone wins → not a face
      '0,0,0,0,0,3,2,0,0,0', // disgust 3 of 5
    ];
    const usage = ['Training', 'PublicTest', 'PrivateTest'];
    const rows = votes.map((v, i) => `${usage[i % 3]},${i === 3 ? '' : `fer${String(i).padStart(7, '0')}.png`},${v}`);
    await write(root, 'fer2013new.csv', `Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF\n${rows.join('\n')}\n`);
    assert.equal((await detectLayout(root)).layout, 'ferplus');
    const d = await readFerPlus(root);
    assert.deepEqual(found(d), [
      { relPath: expected[0]!.relPath, label: 'happy', part: 'train' },
      { relPath: expected[5]!.relPath, label: 'disgust', part: 'test' },
    ]);
    assert.deepEqual(Object.fromEntries(d.skipped.map((s) => [s.kind, s.count])), { 'no-majority': 1, 'voted-unknown': 1, 'not-a-face': 2 });
    assert.deepEqual(d.labelFiles, ['fer2013new.csv', 'fer2013.csv']);
  });

  it('AffectNet CSV: codes 0–6 kept, contempt left to the class list, 8–10 dropped; face box kept for the detector', async () => {
    const root = fresh();
    const expected = await makeAffectNetCsv(root, faces);
    const d = await check(root, expected, 'affectnet-csv');
    const box = d.samples[0]!.source.kind === 'file' ? d.samples[0]!.source.faceBox : undefined;
    assert.deepEqual(box, { x: 2, y: 3, width: 40, height: 41 });
    const skips = Object.fromEntries(d.skipped.map((s) => [s.kind, s.count]));
    assert.deepEqual(skips, { 'excluded-class': 3, 'dropped-label': 1 });
    // Asked for, contempt stays: the paper's drop is the default class list, not the reader.
    const all = await readDataset(root);
    assert.equal(all.classCounts.contempt, 3);
  });

  it('AffectNet train_set/val_set: _exp.npy labels as strings or integers, val_set as the test part', async () => {
    const root = fresh();
    const expected = await makeAffectNetNpy(root, faces);
    await write(root, 'train_set/annotations/._0_exp.npy', 'a macOS resource fork, not an .npy file');
    const d = await check(root, expected, 'affectnet-npy');
    assert.deepEqual(d.labelFiles, ['train_set/annotations', 'val_set/annotations']);
  });

  it('CSV manifest: class names as users spell them, subject and split columns', async () => {
    const root = fresh();
    const expected = await makeCsvManifest(root, faces);
    const d = await check(root, expected, 'csv-manifest', path.join(root, 'manifest.csv'));
    const subjects = new Map(expected.map((e) => [e.relPath, e.subject]));
    assert.deepEqual(d.samples.map((s) => s.subject), d.samples.map((s) => subjects.get(s.relPath)));
  });

  it('image folders read as before, as the image-folder layout with the CK+ subject rule', async () => {
    const d = await readDataset(ck48Dir, { classes: PAPER_CLASSES });
    assert.equal(d.layout, 'image-folder');
    assert.equal(d.hasOfficialSplit, false);
    assert.equal(d.samples.length, 981 - 54);
    assert.ok(d.samples.every((s) => /^S\d{3}$/.test(s.subject)));
    assert.deepEqual(d.skipped.map((s) => [s.kind, s.count]), [['outside-class-folder', 1], ['excluded-class', 54]]);
  });

  it('a subject pattern finds subjects in ids where the layout has none', async () => {
    const root = fresh();
    await makeAffectNetNpy(root, faces);
    const d = await readDataset(root, { subjectPattern: '^(train|val)_set/' });
    assert.deepEqual([...new Set(d.samples.map((s) => s.subject))].sort(), ['train', 'val']);
    await assert.rejects(readDataset(root, { subjectPattern: '(' }), /invalid subject pattern/);
  });

  it('leaves the official test part to test: no test id is among train or validation, however the split is seeded', async () => {
    const root = fresh();
    await makeRafDbAligned(root, await ckFaces(12));
    const d = await readDataset(root);
    for (const seed of [0, 1, 2]) {
      const { split, mode } = splitLayout(d, { seed, fractions: { train: 0.7, val: 0.15, test: 0.15 } });
      assert.equal(mode, 'official');
      const testIds = new Set(d.samples.filter((s) => s.part === 'test').map((s) => s.relPath));
      assert.deepEqual(new Set(split.test.map((i) => d.samples[i]!.relPath)), testIds);
      for (const i of [...split.train, ...split.val]) assert.ok(!testIds.has(d.samples[i]!.relPath), d.samples[i]!.relPath);
      assert.ok(split.val.length > 0 && split.val.every((i) => d.samples[i]!.part === 'train'));
    }
    const bySubject = splitLayout(d, { seed: 0, fractions: { train: 0.7, val: 0.15, test: 0.15 }, mode: 'subjects' });
    assert.equal(bySubject.mode, 'subjects');
  });
});
