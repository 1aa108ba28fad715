import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CompareTarget } from '../../webview/protocol/compare';
import type { CompareOn } from '../compare/picks';
import { compareModel, pickModel, pickSubject } from '../compare/picks';
import type { Ctx } from '../ctx';
import { checkpointOf } from '../runs/runNodes';
import { ComparePanel } from '../panels/comparePanel';

/**
 * "Compare Models…": model A (the argument, else a pick), model B, and what to compare on; then the comparison panel.
 * A third argument skips the last pick (tests, other commands).
 */
export function compareModels(ctx: Ctx): (a?: unknown, b?: unknown, on?: CompareOn) => Promise<void> {
  return async (argA, argB, on) => {
    // A runs-view node (checkpoint or run), a Uri or a path; the built-in model's name passes as a path.
    const a = checkpointOf(argA) ?? (await pickModel('A', undefined));
    if (a === undefined) return;
    const b = checkpointOf(argB) ?? (await pickModel('B', a));
    if (b === undefined) return;
    if (path.resolve(a) === path.resolve(b)) {
      void vscode.window.showErrorMessage(`AU Lens: A and B are the same model (${compareModel(a).name}); pick two ` +
        `different models to compare.`);
      return;
    }
    const subject = on ?? (await pickSubject());
    if (!subject) return;
    const models = { a: compareModel(a), b: compareModel(b) };
    const target: CompareTarget = subject.mode === 'image'
      ? { ...models, mode: 'image', image: subject.image, imageName: path.basename(subject.image) }
      : { ...models, mode: 'dataset', data: subject.data, dataName: path.basename(subject.data) };
    await ComparePanel.show(ctx, target);
  };
}
