import * as path from 'node:path';

/** The repository root, wherever the clone lives. */
export const repoRoot = path.resolve(__dirname, '..', '..');

/** `../shared` beside the clone: research-only data, read-only, never copied into the repo. */
export const sharedDir = path.resolve(repoRoot, '..', 'shared');

export const ck48Dir = path.join(sharedDir, 'data', 'ck48');

/** MIT-licensed demo photos shipped inside the face-api package. */
export const faceApiDemoDir = path.join(repoRoot, 'node_modules', '@vladmandic', 'face-api', 'demo');

/** Scratch output of tests (git-ignored). */
export const testOutputDir = path.join(repoRoot, 'test-output');
