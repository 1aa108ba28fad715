/**
 * `au-lens bench` for a bare GPU machine: the same command (src/trainer/cli/bench.ts) and JSON line, without the rest
 * of the CLI, whose image and landmark packages such a machine lacks. AU_LENS_DEVICE picks the device, as the CLI's
 * --device does. Bundled by scripts/device/device-check-prepare.sh; run by .devcarry/run.sh (scripts/device/device-check-run.sh).
 */
import { benchCommand } from '../../src/trainer/cli/bench';
import { UsageError } from '../../src/trainer/cli/command';

benchCommand.run(process.argv.slice(2), { out: (line) => console.log(line), err: (line) => console.error(line) }).catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = err instanceof UsageError ? 2 : 1;
});
