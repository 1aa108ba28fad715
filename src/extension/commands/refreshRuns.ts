import type { Ctx } from '../ctx';

/** Rescans the workspace for runs (the view also does so when run files change). */
export function refreshRuns(ctx: Ctx): () => Promise<void> {
  return async () => {
    await ctx.runs.refresh();
  };
}
