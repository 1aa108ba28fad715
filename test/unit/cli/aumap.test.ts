import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { runCli } from '../../../src/trainer/cli/main';
import { ck48Dir, faceApiDemoDir, testOutputDir } from '../../helpers/paths';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('au-lens aumap', () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'au-lens-aumap-'));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('draws every expression on a free-licence photo with three faces', async () => {
    const out = path.join(testOutputDir, 'aumap-sample1.png');
    await import('node:fs/promises').then((fs) => fs.mkdir(testOutputDir, { recursive: true }));
    const run = await cli('aumap', '--image', path.join(faceApiDemoDir, 'sample1.jpg'), '--expression', 'all', '--out', out, '--cache', tmp, '--json');
    assert.equal(run.code, 0, run.err);
    const report = JSON.parse(run.out) as { faces: unknown[]; expressions: { expression: string; faces: { valid: boolean }[] }[] };
    assert.equal(report.faces.length, 3);
    assert.deepEqual(report.expressions.map((e) => e.expression), ['happy', 'surprise', 'fear', 'anger', 'disgust', 'sad']);
    assert.ok(report.expressions.every((e) => e.faces.every((f) => f.valid)));
    const meta = await sharp(out).metadata();
    // 7 tiles (landmarks + 6 expressions), 640 px wide, in 4 columns and 2 rows with 6 px gaps.
    assert.equal(meta.width, 4 * 640 + 3 * 6);
    assert.equal((meta.height! - 6) % 2, 0);
  });

  it('draws one expression on a CK+48 crop', async function () {
    const files = await readdir(path.join(ck48Dir, 'happy')).catch(() => []);
    if (files.length === 0) this.skip();
    const out = path.join(testOutputDir, 'aumap-ck48-happy.png');
    const run = await cli('aumap', '--image', path.join(ck48Dir, 'happy', files[0]!), '--expression', 'happiness', '--out', out, '--cache', tmp);
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /happy\s+AU6 AU12 AU25/);
  });

  it('reports neutral as having no AU map', async () => {
    const run = await cli('aumap', '--image', path.join(faceApiDemoDir, 'sample1.jpg'), '--expression', 'neutral', '--face', '0', '--out', path.join(tmp, 'n.png'), '--cache', tmp, '--json');
    assert.equal(run.code, 0, run.err);
    const report = JSON.parse(run.out) as { expressions: { aus: number[]; faces: { valid: boolean; reason: string }[] }[] };
    assert.deepEqual(report.expressions[0]!.aus, []);
    assert.equal(report.expressions[0]!.faces[0]!.valid, false);
  });

  it('fails clearly on a photo without a face', async () => {
    const img = path.join(tmp, 'landscape.png');
    const w = 640;
    const h = 480;
    const raw = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set([(x * 255) / w, 120, (y * 255) / h], (y * w + x) * 3);
    await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toFile(img);
    const run = await cli('aumap', '--image', img, '--out', path.join(tmp, 'x.png'), '--cache', tmp);
    assert.equal(run.code, 1);
    assert.match(run.err, /no face found in .*landscape\.png/);
  });

  it('fails clearly on a text file named .png', async () => {
    const img = path.join(tmp, 'notes.png');
    await writeFile(img, 'these are not pixels\n');
    const run = await cli('aumap', '--image', img, '--out', path.join(tmp, 'x.png'), '--cache', tmp);
    assert.equal(run.code, 1);
    assert.match(run.err, /notes\.png/);
  });

  it('rejects usage mistakes with exit code 2 and the usage text', async () => {
    const noImage = await cli('aumap', '--out', path.join(tmp, 'x.png'));
    assert.equal(noImage.code, 2);
    assert.match(noImage.err, /missing required flag --image/);
    assert.match(noImage.err, /Usage: au-lens aumap/);
    const badExpression = await cli('aumap', '--image', path.join(faceApiDemoDir, 'sample1.jpg'), '--expression', 'smug', '--out', path.join(tmp, 'x.png'), '--cache', tmp);
    assert.equal(badExpression.code, 2);
    assert.match(badExpression.err, /unknown expression "smug"/);
    const badFace = await cli('aumap', '--image', path.join(faceApiDemoDir, 'sample1.jpg'), '--face', '9', '--out', path.join(tmp, 'x.png'), '--cache', tmp);
    assert.equal(badFace.code, 2);
    assert.match(badFace.err, /face 9 does not exist: 3 face\(s\) found/);
    const notPng = await cli('aumap', '--image', 'a.jpg', '--out', path.join(tmp, 'x.jpg'));
    assert.equal(notPng.code, 2);
    const unknownFlag = await cli('aumap', '--colour', 'red');
    assert.equal(unknownFlag.code, 2);
  });

  it('names the bad entry of a user codebook', async () => {
    const codebook = path.join(tmp, 'mine.codebook.json');
    await writeFile(codebook, JSON.stringify({ name: 'mine', description: '', actionUnits: [{ facs: 99, name: 'Nope', expressions: ['happy'] }] }));
    const run = await cli('aumap', '--image', path.join(faceApiDemoDir, 'sample1.jpg'), '--codebook', codebook, '--out', path.join(tmp, 'x.png'), '--cache', tmp);
    assert.equal(run.code, 1);
    assert.match(run.err, /mine\.codebook\.json.*AU99/);
  });
});

describe('au-lens', () => {
  it('lists its commands and refuses unknown ones', async () => {
    const help = await cli('--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /aumap/);
    assert.match(help.out, /landmarks/);
    const unknown = await cli('frobnicate');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown command "frobnicate"/);
  });
});
