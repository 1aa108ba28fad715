/**
 * Where the auLens.codebook setting points: a preset's name as it is, or a codebook JSON file, relative to the
 * workspace unless absolute. "Absolute" is the extension host's platform's rule: on Windows `C:\x.json`,
 * `C:/x.json` and `\\server\share\x.json` are absolute (and `\x.json`, on the workspace's drive), not only paths
 * that start with '/'.
 */
import * as path from 'node:path';

/** The codebook to load: `value` as it is, or its file joined onto `workspaceFolder` when relative. */
export function resolveCodebook(value: string, workspaceFolder: string | undefined,
  paths: path.PlatformPath = path): string {
  if (!value.endsWith('.json') || workspaceFolder === undefined || paths.isAbsolute(value)) return value;
  return paths.join(workspaceFolder, value);
}
