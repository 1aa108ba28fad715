import { aumapCommand } from './aumap';
import { benchCommand } from './bench';
import { benchExplainCommand } from './benchExplain';
import { benchFaithfulnessCommand } from './benchFaithfulness';
import type { CliIo, Command } from './command';
import { UsageError } from './command';
import { DEVICE_ENV, DEVICES, deviceList, isDevice } from '../onnx/deviceNames';
import { landmarksCommand } from './landmarks';
import { trainCommand } from './train';
import { evalCommand } from './eval';
import { explainCommand } from './explain';
import { exportCommand } from './export';
import { inspectCommand } from './inspect';
import { sweepCommand } from './sweep';

const COMMANDS: readonly Command[] = [
  aumapCommand,
  landmarksCommand,
  trainCommand,
  evalCommand,
  benchCommand,
  exportCommand,
  inspectCommand,
  explainCommand,
  benchExplainCommand,
  benchFaithfulnessCommand,
  sweepCommand,
];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'au-lens — AU-guided facial-expression tooling',
    '',
    'Usage: au-lens <command> [flags]     (au-lens <command> --help for its flags)',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global flags:',
    `  --device ${DEVICES.join('|')}`,
    `        where models run, before or after the command (default cpu; or set ${DEVICE_ENV}). cuda needs ONNX`,
    '        Runtime\'s CUDA provider: npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12; webgpu needs',
    '        only the GPU\'s driver (Vulkan on Linux, Direct3D 12 on Windows, Metal on macOS)',
  ].join('\n');
}

/** Takes the global --device flag out of a command's flags; every session of this process then uses it. */
function applyDevice(argv: readonly string[]): string[] {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg !== '--device' && !arg.startsWith('--device=')) {
      rest.push(arg);
      continue;
    }
    const value = arg === '--device' ? argv[++i] : arg.slice('--device='.length);
    if (value === undefined || !isDevice(value)) {
      throw new UsageError(`--device must be ${deviceList()}, got "${value ?? ''}"`);
    }
    process.env[DEVICE_ENV] = value;
  }
  return rest;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // A global flag may also come before the command: au-lens --device webgpu bench …
  let leading = 0;
  while (argv[leading] === '--device' || argv[leading]?.startsWith('--device=')) {
    leading += argv[leading] === '--device' ? 2 : 1;
  }
  const [name, ...after] = argv.slice(leading);
  const rest = [...argv.slice(0, leading), ...after];
  if (leading > 0) {
    try {
      applyDevice(argv.slice(0, leading));
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      io.err(`au-lens: ${err.message}\n\n${help()}`);
      return 2;
    }
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`au-lens: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.usage);
    return 0;
  }
  try {
    await command.run(applyDevice(rest), io);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`au-lens ${command.name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    // Known failures carry actionable messages; a stack trace would only hide them.
    const e = err as Error;
    io.err(`au-lens ${command.name}: ${e.message}`);
    if (process.env['AU_LENS_DEBUG']) io.err(e.stack ?? '');
    return 1;
  }
}

/** Entry point of the `au-lens` binary. */
export async function main(argv: readonly string[]): Promise<void> {
  const io: CliIo = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };
  process.exitCode = await runCli(argv, io);
}
