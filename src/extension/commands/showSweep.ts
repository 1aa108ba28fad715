import type { Ctx } from '../ctx';
import { SweepPanel } from '../panels/sweepPanel';
import { sweepTargetOrPick } from '../sweeps/sweepPicks';

/** Opens the sweep panel on a sweep: the argument (Runs view, Explorer, status bar), the editor's file or a pick. */
export function showSweep(ctx: Ctx): (arg?: unknown) => Promise<void> {
  return async (arg) => {
    const target = await sweepTargetOrPick(arg, 'AU Lens: Show Sweep');
    if (target) await SweepPanel.show(ctx, target.file, target.out);
  };
}
