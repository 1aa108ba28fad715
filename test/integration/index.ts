import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

/** Entry point the extension host calls (extensionTestsPath): runs every *.test.js bundled beside it. */
export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  // extension.test.js first: it checks that nothing activated the extension before its command ran.
  const first = (f: string): number => (f === 'extension.test.js' ? 0 : 1);
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort((x, y) => first(x) - first(y) || x.localeCompare(y));
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => {
      // The runner reads this line and prints it last, as the suite's summary.
      console.log(`${mocha.suite.total() - failures} passed, ${failures} failed`);
      if (failures > 0) reject(new Error(`${failures} integration tests failed`));
      else resolve();
    });
  });
}
