import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EvalImages, EvalRunResult } from '../../trainer/eval/evalFile';
import { isEvalFileName } from '../../trainer/eval/evalFile';
import { BUILTIN_MODEL } from '../../trainer/protocol';
import { readRunRecord } from '../../trainer/train/runLog';
import type { Ctx } from '../ctx';
import { EvaluationPanel } from '../panels/evaluationPanel';
import { checkpointOf, isRunsNode } from '../runs/runNodes';
import { describeGuess } from '../training/datasetGuess';
import { findWorkspaceDatasets } from '../workspaceFiles';

type DatasetPick = vscode.QuickPickItem & { readonly data?: string; readonly images?: EvalImages;
  readonly browse?: true };
type ModelPick = vscode.QuickPickItem & { readonly model: string };

/** An eval file the argument names (a tree evaluation, a Uri or a path): then the command shows it. */
function evalFileOf(arg: unknown): string | undefined {
  const file = isRunsNode(arg) && arg.kind === 'evaluation' ? arg.evaluation.file
    : arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' ? arg : undefined;
  return file !== undefined && isEvalFileName(path.basename(file)) ? file : undefined;
}

async function pickModel(ctx: Ctx): Promise<string | undefined> {
  const runs = await ctx.runs.current();
  const items: ModelPick[] = [
    ...runs.flatMap((r) => r.checkpoints.filter((c) => 'summary' in c).map((c): ModelPick => ({
      label: `$(file-binary) ${r.name}/${c.name}`, description: vscode.workspace.asRelativePath(c.file), model: c.file,
    }))),
    { label: '$(sparkle) face-api expression network', description: 'built in', model: BUILTIN_MODEL },
  ];
  return (await vscode.window.showQuickPick(items,
    { title: 'AU Lens: Evaluate Model — model', placeHolder: 'The model to evaluate' }))?.model;
}

async function pickDataset(model: string): Promise<{ data: string; images: EvalImages } | undefined> {
  const items: DatasetPick[] = [];
  const record = model === BUILTIN_MODEL ? undefined : await readRunRecord(path.dirname(model)).catch(() => undefined);
  const trainData = record?.settings.data;
  if (typeof trainData === 'string' && existsSync(trainData)) {
    items.push({ label: `$(beaker) ${path.basename(trainData)} — its test split`,
      description: vscode.workspace.asRelativePath(trainData),
      detail: 'the test split of the data this model was trained on: its official test part, or the held-out ' +
        'subjects', data: trainData, images: 'test' });
  }
  // The datasets the training wizard and the comparison offer; one with an official split is scored on its test
  // part, as published numbers are.
  for (const found of await findWorkspaceDatasets()) {
    const official = found.layout !== 'image-folder';
    items.push({
      label: `$(${official ? 'database' : 'folder'}) ${path.basename(found.folder)}`,
      description: vscode.workspace.asRelativePath(found.folder),
      detail: `${official ? 'its official test part' : 'every image of the folder'}: ${describeGuess(found)}`,
      data: found.folder, images: official ? 'test' : 'all',
    });
  }
  items.push({ label: '$(folder-opened) Browse…', description: 'a folder with one subfolder of images per class',
    browse: true });
  const picked = await vscode.window.showQuickPick(items,
    { title: 'AU Lens: Evaluate Model — dataset', placeHolder: `The images to evaluate ${path.basename(model)} on`,
      matchOnDescription: true });
  if (!picked) return undefined;
  if (picked.browse) {
    const folders = await vscode.window.showOpenDialog({ title: 'AU Lens: dataset folder (one subfolder per class)',
      canSelectFolders: true, canSelectFiles: false, canSelectMany: false });
    return folders?.[0] ? { data: folders[0].fsPath, images: 'all' } : undefined;
  }
  return picked.data !== undefined && picked.images !== undefined
    ? { data: picked.data, images: picked.images } : undefined;
}

/** Where an evaluation of the built-in model goes: runs/<name>/ in the workspace, so the runs view lists it. */
function outDirFor(model: string): string | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return model === BUILTIN_MODEL && folder ? path.join(folder.uri.fsPath, 'runs', BUILTIN_MODEL) : undefined;
}

/**
 * AU Lens: Evaluate Model. The model is the argument (a checkpoint or run of the runs view, a path), else the
 * active model, else picked; the dataset is picked. The worker evaluates with a cancellable progress notification;
 * the result opens in the results panel and its quality gates go to the Problems view. On an eval file it shows it.
 */
export function evaluateModel(ctx: Ctx): (arg?: unknown) => Promise<void> {
  return async (arg) => {
    const evalFile = evalFileOf(arg);
    if (evalFile !== undefined) {
      await EvaluationPanel.showFile(ctx, evalFile);
      return;
    }
    const model = checkpointOf(arg) ?? ctx.models.active ?? (await pickModel(ctx));
    if (model === undefined) return;
    const dataset = await pickDataset(model);
    if (!dataset) return;
    const outDir = outDirFor(model);
    const faithfulness = ctx.config.evaluationFaithfulness;
    ctx.log.info(`evaluate ${model} on ${dataset.data} (${dataset.images})` +
      `${faithfulness ? `, faithfulness ${faithfulness}` : ''}`);
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification,
      title: `AU Lens: evaluating ${path.basename(model)} on ${path.basename(dataset.data)}`, cancellable: true },
      async (progress, token): Promise<EvalRunResult | undefined> => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        let reported = 0;
        const stages = { prepare: 0, evaluate: 0 };
        try {
          const request = { model, ...dataset, ...(outDir !== undefined && { outDir }),
            ...(faithfulness !== undefined && { faithfulness }) };
          return await ctx.trainer.request('eval/run', request, {
            signal: controller.signal,
            onProgress: (p) => {
              // Two stages of the same images, each half of the bar; they alternate, a chunk of images at a time.
              stages[p.stage] = (50 * p.done) / Math.max(1, p.total);
              const done = stages.prepare + stages.evaluate;
              progress.report({ increment: done - reported,
                message: `${p.stage === 'prepare' ? 'preparing faces' : 'running the model'} ${p.done}/${p.total}` });
              reported = done;
            },
          });
        } catch (err) {
          if (token.isCancellationRequested) return undefined;
          throw err;
        }
      });
    if (!result) {
      ctx.log.info('evaluation cancelled; no file was written');
      void vscode.window.showInformationMessage('AU Lens: evaluation cancelled; nothing was written.');
      return;
    }
    for (const w of result.warnings) ctx.log.warn(w);
    for (const s of result.skipped) ctx.log.warn(`skipped ${s.path}: ${s.reason}`);
    ctx.log.info(`evaluated ${result.report.samples} images: accuracy ` +
      `${result.report.accuracy ?? '–'}${result.file ? `; wrote ${result.file}` : ''}`);
    if (result.file) await ctx.qualityGates.check(result.file);
    await EvaluationPanel.show(ctx, result);
    void ctx.runs.refresh();
  };
}
