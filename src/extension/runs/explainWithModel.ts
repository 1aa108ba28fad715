import type { Ctx } from '../ctx';
import { explainWith } from '../evaluation/explainWith';
import { checkpointOf } from './runNodes';

/** "Explain with This Model" on a checkpoint (or run) of the runs view: it becomes the active model. */
export function explainWithModel(ctx: Ctx): (arg?: unknown) => Promise<void> {
  return async (arg) => {
    const model = checkpointOf(arg);
    if (model === undefined) throw new Error('pick a checkpoint in the Runs view to explain with');
    ctx.log.info(`explain with ${model}`);
    await explainWith(model);
  };
}
