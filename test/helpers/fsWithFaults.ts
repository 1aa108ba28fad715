/** node:fs/promises as writeFileAtomic uses it (io/atomicFile.ts AtomicFs), with some calls replaced to inject faults. */
import * as nodeFs from 'node:fs/promises';
import type { AtomicFs } from '../../src/trainer/io/atomicFile';

export function fsWithFaults(overrides: Partial<AtomicFs>): AtomicFs {
  return {
    mkdir: (dir, options) => nodeFs.mkdir(dir, options),
    rename: (from, to) => nodeFs.rename(from, to),
    rm: (file, options) => nodeFs.rm(file, options),
    readdir: (dir) => nodeFs.readdir(dir),
    open: (file, flags) => nodeFs.open(file, flags),
    ...overrides,
  };
}
