import type * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { ExplainPanel, explainTarget } from '../panels/explainPanel';
import { onImage } from './images';

/** Explains the expression on an image (Explorer item, editor title or the active tab) in the explanation panel. */
export function explainExpression(ctx: Ctx): (uri?: vscode.Uri) => Promise<void> {
  return onImage(async (image) => {
    await ExplainPanel.show(ctx, explainTarget(image, ctx.models.active));
  });
}
