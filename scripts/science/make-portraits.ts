// Writes a portrait-like image-folder dataset made from CK+48's tight crops (test/helpers/portraits.ts): every
// image of the six expression classes at SIZE px, the face at 0.4 of the side, each image in the next of the eight
// styles (centred / off-centre, plain / noisy background, grey / colour). The output holds CK+48's pixels:
// write it only to a git-ignored folder (out/) and never commit or package it.
// Usage: node --import tsx scripts/science/make-portraits.ts OUT_DIR [SIZE] [CK48_DIR]
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { ck48Dir } from '../../test/helpers/paths';
import { makePortrait, PORTRAIT_STYLES } from '../../test/helpers/portraits';

const CLASSES = ['anger', 'disgust', 'fear', 'happy', 'sad', 'surprise'] as const;

async function main(): Promise<void> {
  const [out, sizeArg = '256', data = ck48Dir] = process.argv.slice(2);
  if (!out) throw new Error('usage: make-portraits.ts OUT_DIR [SIZE] [CK48_DIR]');
  const size = Number(sizeArg);
  if (!Number.isInteger(size) || size < 32) throw new Error(`SIZE must be an integer ≥ 32, got ${sizeArg}`);
  let i = 0;
  for (const cls of CLASSES) {
    await mkdir(path.join(out, cls), { recursive: true });
    const files = (await readdir(path.join(data, cls))).filter((f) => f.endsWith('.png')).sort();
    for (const file of files) {
      const style = PORTRAIT_STYLES[i % PORTRAIT_STYLES.length]!;
      const png = await makePortrait(await readFile(path.join(data, cls, file)), size, style, i);
      await writeFile(path.join(out, cls, file), png);
      i++;
    }
  }
  console.log(`${out}: ${i} portraits of ${size} px`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
