/**
 * Slurm's options as Run Sweep asks for them: the words `au-lens sweep run --slurm` takes for its tasks, checked
 * before the sweep starts so a typo is named in the input box rather than by the CLI afterwards.
 */

/** The flags `au-lens sweep run --slurm` takes for its tasks. */
export const SLURM_FLAGS = ['partition', 'gres', 'cpus', 'time', 'parallel', 'node'];

/** `--partition gpu --time=2:00:00` → its words, or why not. */
export function parseSlurmOptions(text: string): { args: string[] } | { error: string } {
  const words = text.trim() === '' ? [] : text.trim().split(/\s+/);
  for (let i = 0; i < words.length; i++) {
    const m = /^--([a-z-]+)(=.*)?$/.exec(words[i]!);
    if (!m || !SLURM_FLAGS.includes(m[1]!)) {
      return { error: `"${words[i]}" is not one of ${SLURM_FLAGS.map((f) => `--${f}`).join(', ')}` };
    }
    if (m[2] === undefined && (words[++i] === undefined || words[i]!.startsWith('--'))) {
      return { error: `--${m[1]} needs a value` };
    }
  }
  return { args: words };
}
