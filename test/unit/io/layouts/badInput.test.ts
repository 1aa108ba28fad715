import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { DatasetError } from '../../../../src/trainer/io/dataset';
import { readAffectNetNpy } from '../../../../src/trainer/io/layouts/affectnet';
import { readCsvManifest } from '../../../../src/trainer/io/layouts/csvManifest';
import { readFer2013, readFerPlus } from '../../../../src/trainer/io/layouts/fer2013';
import { readRafDb } from '../../../../src/trainer/io/layouts/rafdb';
import { readDataset } from '../../../../src/trainer/io/layouts/readDataset';
import type { LayoutDataset } from '../../../../src/trainer/io/layouts/types';
import type { Face } from './fixtures';
import {
  makeAffectNetCsv, makeAffectNetNpy, makeCsvManifest, makeFer2013, makeRafDbAligned, npyLabel, useFixtures, write,
} from './fixtures';

/** Every file under `dir` with its size and modification time: equal before and after means nothing was written. */
async function snapshot(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    const full = path.join(e.parentPath, e.name);
    const s = await stat(full).catch(() => undefined);
    out.push(`${path.relative(dir, full)} ${s?.size ?? '-'} ${s?.mtimeMs ?? '-'}`);
  }
  return out.sort();
}

/** `read` fails with a DatasetError matching `message`, and the dataset folder is left exactly as it was. */
async function refuses(root: string, read: () => Promise<LayoutDataset>, message: RegExp): Promise<DatasetError> {
  const before = await snapshot(root);
  let caught: unknown;
  await read().catch((err: unknown) => { caught = err; });
  assert.ok(caught instanceof DatasetError, `expected a DatasetError, got ${String(caught)}`);
  assert.match(caught.message, message);
  assert.deepEqual(await snapshot(root), before, 'the reader wrote something');
  return caught;
}

async function replaceLine(file: string, line: number, text: string): Promise<void> {
  const lines = (await readFile(file, 'utf8')).split(/\r?\n/);
  lines[line - 1] = text;
  await writeFile(file, lines.join('\n'));
}

describe('dataset layouts refuse bad input with a clear error and write nothing', function () {
  this.timeout(60_000);
  const fixtures = useFixtures('layouts-bad', 2);
  const fresh = fixtures.fresh;
  let faces: Face[];
  before(() => { faces = fixtures.faces(); });

  it('an unmapped label, named with its file, line and the valid codes or classes', async () => {
    const raf = fresh();
    await makeRafDbAligned(raf, faces);
    await replaceLine(path.join(raf, 'EmoLabel', 'list_patition_label.txt'), 3, 'train_00003.jpg 8');
    await refuses(raf, () => readDataset(raf),
      /EmoLabel\/list_patition_label\.txt line 3: label "8" is unknown to RAF-DB basic, whose labels are 1 surprise, 2 fear/);

    const fer = fresh();
    await makeFer2013(fer, faces);
    const rows = (await readFile(path.join(fer, 'fer2013.csv'), 'utf8')).split('\r\n');
    await replaceLine(path.join(fer, 'fer2013.csv'), 4, rows[3]!.replace(/^\d/, '7'));
    await refuses(fer, () => readFer2013(fer), /fer2013\.csv line 4: label "7" is unknown to FER2013, whose labels are 0 anger/);

    const manifest = fresh();
    await makeCsvManifest(manifest, faces);
    await replaceLine(path.join(manifest, 'manifest.csv'), 3, 'images/S005/x.png,smug,S005,train');
    await refuses(manifest, () => readDataset(path.join(manifest, 'manifest.csv')), /manifest\.csv line 3: label "smug" is not a known class; known: neutral, happy/);

    const npy = fresh();
    await makeAffectNetNpy(npy, faces);
    await write(npy, 'train_set/annotations/0_exp.npy', await npyLabel(11, 'u1'));
    await refuses(npy, () => readDataset(npy), /train_set\/annotations\/0_exp\.npy: label "11" is unknown to AffectNet, whose labels are 0 neutral.*10 \(no face, dropped\)/);
  });

  it('a missing list file, or one that is not a regular file (a FIFO would hang a read)', async () => {
    const raf = fresh();
    await makeRafDbAligned(raf, faces);
    await rm(path.join(raf, 'EmoLabel', 'list_patition_label.txt'));
    await refuses(raf, () => readRafDb(raf), /RAF-DB label list .*list_patition_label\.txt does not exist/);
    await refuses(raf, () => readDataset(path.join(raf, 'EmoLabel', 'list_patition_label.txt')), /dataset .* does not exist/);
    if (process.platform !== 'win32') {
      execFileSync('mkfifo', [path.join(raf, 'EmoLabel', 'list_patition_label.txt')]);
      await refuses(raf, () => readRafDb(raf), /list_patition_label\.txt is not a regular file/);
    }
    const fer = fresh();
    await makeFer2013(fer, faces);
    await refuses(fer, () => readFerPlus(fer), /FERPlus file .*fer2013new\.csv does not exist/);
    await truncate(path.join(fer, 'fer2013.csv'), 5 * 1024 ** 3); // sparse: no disk is used
    await refuses(fer, () => readFer2013(fer), /fer2013\.csv is 5\.0 GiB, above the 4\.0 GiB limit/);
  });

  it('a CSV row with the wrong number of fields or a broken quote, named by its line', async () => {
    const fer = fresh();
    await makeFer2013(fer, faces);
    await replaceLine(path.join(fer, 'fer2013.csv'), 3, '3,1 2 3');
    await refuses(fer, () => readFer2013(fer), /fer2013\.csv line 3: expected 3 fields \(emotion, pixels, Usage\), found 2/);
    await replaceLine(path.join(fer, 'fer2013.csv'), 3, '3,"1 2 3,Training');
    await refuses(fer, () => readFer2013(fer), /fer2013\.csv line \d+: a quoted field is never closed/);

    const affectnet = fresh();
    await makeAffectNetCsv(affectnet, faces);
    await replaceLine(path.join(affectnet, 'training.csv'), 2, '0/a.jpg,1,2,3');
    await refuses(affectnet, () => readDataset(affectnet), /training\.csv line 2: expected 9 fields like the header, found 4/);
  });

  it('a pixel string of the wrong length or with a value above 255', async () => {
    const fer = fresh();
    const { rows } = await makeFer2013(fer, faces);
    await replaceLine(path.join(fer, 'fer2013.csv'), 2, rows[0]!.replace(/ \d+,Training$/, ',Training'));
    await refuses(fer, () => readFer2013(fer), /fer2013\.csv line 2: the pixel string has 2303 values; a 48×48 image needs 2304/);
    await replaceLine(path.join(fer, 'fer2013.csv'), 2, rows[0]!.replace(/,\d+ /, ',256 '));
    await refuses(fer, () => readFer2013(fer), /fer2013\.csv line 2: value 1 is above 255/);
  });

  it('an .npy label of the wrong dtype or shape, or not an .npy at all', async () => {
    const root = fresh();
    await makeAffectNetNpy(root, faces);
    const file = 'train_set/annotations/0_exp.npy';
    await write(root, file, await npyLabel(1, 'f8'));
    await refuses(root, () => readAffectNetNpy(root), /0_exp\.npy: dtype "f8" cannot hold a label; an expression label must be an integer or a string of digits/);
    const pickle = Buffer.concat([Buffer.from('\x93NUMPY\x01\x00', 'latin1'), Buffer.from([0x46, 0]),
      Buffer.from("{'descr': '|O', 'fortran_order': False, 'shape': (), }".padEnd(69) + '\n', 'latin1'), Buffer.from('\x80\x04.', 'latin1')]);
    await write(root, file, pickle);
    await refuses(root, () => readAffectNetNpy(root), /0_exp\.npy: dtype "\|O" cannot hold a label/);
    const { dump } = await import('npyjs');
    await write(root, file, Buffer.from(dump(new Uint8Array([1, 2]), [2])));
    await refuses(root, () => readAffectNetNpy(root), /0_exp\.npy: holds 2 values \(shape \(2\)\); an expression label is one value/);
    await write(root, file, 'hello');
    await refuses(root, () => readAffectNetNpy(root), /0_exp\.npy: not a valid \.npy file/);
  });

  it('paths that leave the dataset folder, duplicates, and an excerpt that cannot flood or forge a message', async () => {
    const root = fresh();
    await makeCsvManifest(root, faces);
    const manifest = path.join(root, 'manifest.csv');
    for (const bad of ['../outside.png', '/etc/passwd', 'C:\\\\Windows\\\\x.png', 'images/../../x.png']) {
      await replaceLine(manifest, 2, `${bad},happy,S1,train`);
      await refuses(root, () => readCsvManifest(manifest), /manifest\.csv line 2: the path .* (leads outside the dataset folder|is absolute)/);
    }
    const rows = (await readFile(manifest, 'utf8')).split('\n');
    await replaceLine(manifest, 2, rows[2]!);
    await refuses(root, () => readCsvManifest(manifest), /manifest\.csv line 3: "images\/.*" is listed twice \(first at manifest\.csv line 2\)/);
    await replaceLine(manifest, 2, `images/a.png,${'\u0007x'.repeat(60)},S1,train`);
    const err = await refuses(root, () => readCsvManifest(manifest), /label "(\\u0007x){20}…" \(120 characters\) is not a known class/);
    assert.ok(!err.message.includes('\u0007'));

    const raf = fresh();
    await makeRafDbAligned(raf, faces);
    await replaceLine(path.join(raf, 'EmoLabel', 'list_patition_label.txt'), 1, 'train_/../../../../etc/passwd 1');
    await refuses(raf, () => readRafDb(raf), /line 1: the path .* leads outside the dataset folder/);
  });

  it('FERPlus votes that are not counts, and files that do not list the same rows', async () => {
    const root = fresh();
    await makeFer2013(root, faces.slice(0, 3));
    const header = 'Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF';
    await write(root, 'fer2013new.csv', `${header}\nTraining,a.png,10,0,0,0,0,0,0,0,0,0\nPublicTest,b.png,x,0,0,0,0,0,0,0,0,0\n`);
    await refuses(root, () => readFerPlus(root), /fer2013new\.csv line 3: vote "x" is not a count ≥ 0/);
    await write(root, 'fer2013new.csv', `${header}\nTraining,a.png,10,0,0,0,0,0,0,0,0,0\nTraining,b.png,10,0,0,0,0,0,0,0,0,0\n`);
    await refuses(root, () => readFerPlus(root), /fer2013new\.csv line 3: its Usage disagrees with fer2013\.csv line 3/);
    await write(root, 'fer2013new.csv', `${header}\nTraining,a.png,10,0,0,0,0,0,0,0,0,0\n`);
    await refuses(root, () => readFerPlus(root), /fer2013\.csv has more rows than fer2013new\.csv/);
  });
});
