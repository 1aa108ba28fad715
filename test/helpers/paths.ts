import { existsSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The repository root, wherever the clone lives: the first folder above this file with a package.json, so the
 * helpers work from test/ (mocha through tsx) and from out/test/ (the integration tests, compiled).
 */
export const repoRoot = ((): string => {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
})();

/** `../shared` beside the clone: research-only data, read-only, never copied into the repo. */
export const sharedDir = path.resolve(repoRoot, '..', 'shared');

export const ck48Dir = path.join(sharedDir, 'data', 'ck48');

/** MIT-licensed demo photos shipped inside the face-api package. */
export const faceApiDemoDir = path.join(repoRoot, 'node_modules', '@vladmandic', 'face-api', 'demo');

/** Scratch output of tests (git-ignored). */
export const testOutputDir = path.join(repoRoot, 'test-output');
