import { open } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelInspection } from '../../trainer/import/inspectModel';
import { sidecarPathFor } from '../../trainer/import/sidecar';
import { EXPRESSIONS, PAPER_CLASSES, parseExpression } from '../../trainer/science/labels';
import type { Ctx } from '../ctx';

const TITLE = 'AU Lens: Import ONNX Model';

/** How far from the end an AU Lens export's metadata lies (it follows the graph; a few kB of JSON). */
const METADATA_TAIL = 64 * 1024;

/**
 * Whether an .onnx file needs importing: not an AU Lens export (whose au_lens.* metadata follows the graph, near
 * the end of the file) and no sidecar beside it. Reads only the file's tail, so it stays cheap for large models.
 */
export async function needsImport(file: string): Promise<boolean> {
  if (!file.endsWith('.onnx')) return false;
  if (await open(sidecarPathFor(file)).then(async (h) => (await h.close(), true), () => false)) return false;
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return false;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, METADATA_TAIL);
    const tail = Buffer.alloc(length);
    await handle.read(tail, 0, length, size - length);
    return !tail.includes('au_lens.format');
  } finally {
    await handle.close();
  }
}

type LayerPick = vscode.QuickPickItem & { readonly value: string };

const modelPathOf = (arg: unknown): string | undefined =>
  arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' && arg.endsWith('.onnx') ? arg : undefined;

/**
 * The model's inspection from the worker, with progress and cancel; asks for the input size when H and W are
 * dynamic.
 */
async function inspect(ctx: Ctx, model: string, size?: number): Promise<ModelInspection | undefined> {
  try {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification,
      title: `${TITLE}: reading ${path.basename(model)}`, cancellable: true },
      async (_progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        const result = await ctx.trainer.request('import/inspect', { model, ...(size !== undefined && { size }) },
          { signal: controller.signal });
        return token.isCancellationRequested ? undefined : result;
      });
  } catch (error) {
    if (size !== undefined || !/dynamic height and width/.test((error as Error).message)) throw error;
    const answer = await vscode.window.showInputBox({
      title: `${TITLE} — input size`,
      prompt: `${path.basename(model)} accepts any height and width: the side (pixels) it was trained at`,
      value: '224', validateInput: (v) => (/^\d+$/.test(v.trim()) && +v >= 8 && +v <= 4096
        ? undefined : 'a whole number of pixels from 8 to 4096'),
    });
    return answer === undefined ? undefined : inspect(ctx, model, Number(answer.trim()));
  }
}

function layerItems(inspection: ModelInspection): LayerPick[] {
  return inspection.layers.map((l) => ({
    label: l.name,
    description: `${l.shape[0]} × ${l.shape[1]} × ${l.shape[2]}`,
    detail: `${l.value} · ${l.node.split(' ')[0]}`,
    picked: inspection.defaults.includes(l.value),
    value: l.value,
  }));
}

/** Class names in output order: a comma-separated list, checked against the model's K outputs. */
async function askLabels(inspection: ModelInspection): Promise<string[] | undefined> {
  const k = inspection.classes;
  const split = (v: string): string[] => v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const answer = await vscode.window.showInputBox({
    title: `${TITLE} — labels (3/3)`,
    prompt: `The ${k} class names in the model's output order, comma-separated (known: ${EXPRESSIONS.join(', ')})`,
    value: k === PAPER_CLASSES.length ? PAPER_CLASSES.join(', ') : '',
    validateInput: (v) => {
      const names = split(v);
      const unknown = names.find((n) => parseExpression(n) === undefined);
      if (unknown !== undefined) return `"${unknown}" is not an expression AU Lens knows (${EXPRESSIONS.join(', ')})`;
      return names.length === k ? undefined : `the model has ${k} outputs: give ${k} names (${names.length} so far)`;
    },
  });
  return answer === undefined ? undefined : split(answer);
}

/**
 * Makes an ONNX classifier trained elsewhere explainable: pick the .onnx, the layers to explain (spatial feature
 * maps with their shapes; the last map of each resolution preselected) and the labels; the sidecar config is
 * written beside the model with ImageNet normalisation (a ViT's token grid and blocks' attention for rollout with
 * it), opened for review, and the model becomes the active one.
 */
export function importOnnxModel(ctx: Ctx): (arg?: unknown) => Promise<void> {
  return async (arg) => {
    let model = modelPathOf(arg);
    if (model === undefined) {
      const files = await vscode.window.showOpenDialog({ title: `${TITLE} — model file (1/3)`, openLabel: 'Import',
        canSelectMany: false, filters: { 'ONNX models': ['onnx'] } });
      model = files?.[0]?.fsPath;
      if (model === undefined) return;
    }
    const inspection = await inspect(ctx, model);
    if (!inspection) return;
    if (inspection.sidecar.exists) {
      const choice = await vscode.window.showWarningMessage(`AU Lens: ${path.basename(inspection.sidecar.path)} ` +
        'exists already. Use it as it is, or replace it with a new one?', 'Use It', 'Replace It');
      if (choice === undefined) return;
      if (choice === 'Use It') {
        await ctx.models.set(model);
        return;
      }
    }
    const gradients = inspection.unsupported.length === 0
      ? 'Grad-CAMs available' : `no Grad-CAMs: ${inspection.unsupported.map((o) => o.op).join(', ')} not covered`;
    // A ViT's attention rollout needs no pick: its blocks' Softmax outputs go into the sidecar's "tokens".
    const attention = inspection.tokens?.attention;
    const rollout = attention ? ` · attention rollout of ${attention.length} blocks` : '';
    const layers = await vscode.window.showQuickPick(layerItems(inspection), {
      title: `${TITLE} — layers to explain (2/3) · ${inspection.layers.length} feature maps of ` +
        `${path.basename(model)} · ${gradients}${rollout}`,
      placeHolder: 'C × H × W in graph order; the last one picked is the CAM layer',
      canPickMany: true, matchOnDescription: true, matchOnDetail: true, ignoreFocusOut: true,
    });
    if (!layers) return;
    if (layers.length === 0) {
      void vscode.window.showWarningMessage(`${TITLE}: pick at least one layer to explain.`);
      return;
    }
    const labels = await askLabels(inspection);
    if (!labels) return;
    const { path: written } = await ctx.trainer.request('import/writeSidecar', {
      model, labels, layers: layers.map((l) => l.value), size: inspection.io.size, overwrite: inspection.sidecar.exists,
    });
    ctx.log.info(`imported ${model}: sidecar ${written} (${layers.length} layers, ${labels.length} classes)`);
    await vscode.window.showTextDocument(vscode.Uri.file(written),
      { preview: false, viewColumn: vscode.ViewColumn.Beside });
    await ctx.models.set(model);
    void vscode.window.showInformationMessage(`AU Lens: ${path.basename(model)} is the active model. Review its ` +
      `sidecar (input size, normalisation), then explain an image.`);
  };
}
