/**
 * Quality gates in the Problems view: the DiagnosticCollection "AU Lens" holds, per eval file, a Warning at the
 * line of each value that fails an `auLens.qualityGates.*` setting. Evaluations add theirs as they finish; a runs
 * rescan or a settings change re-checks every eval file in the workspace.
 */
import * as vscode from 'vscode';
import type { EvalRunResult } from '../../trainer/eval/evalFile';
import { readEvalFile } from '../../trainer/eval/readEvalFile';
import type { Config } from '../config';
import type { RunEntry } from '../runs/runScan';
import type { GateFailure, QualityGates } from './gates';
import { checkGates } from './gates';
import { locateJsonValue } from './jsonLocate';

export const DIAGNOSTIC_SOURCE = 'AU Lens';

/** A diagnostic that remembers which gate failed, for the quick fixes. */
export class GateDiagnostic extends vscode.Diagnostic {
  constructor(range: vscode.Range, readonly failure: GateFailure, readonly evalFile: string) {
    super(range, failure.message, vscode.DiagnosticSeverity.Warning);
    this.source = DIAGNOSTIC_SOURCE;
    this.code = failure.setting;
  }
}

/** The diagnostics of one eval file (its text and its parsed content). */
export function gateDiagnostics(file: string, text: string, result: EvalRunResult,
  gates: QualityGates): GateDiagnostic[] {
  const lines = text.split('\n');
  const positionAt = (offset: number): vscode.Position => {
    let line = 0;
    let rest = offset;
    while (line < lines.length - 1 && rest > lines[line]!.length) rest -= lines[line++]!.length + 1;
    return new vscode.Position(line, rest);
  };
  return checkGates(result, gates).map((failure) => {
    const at = locateJsonValue(text, failure.path);
    const range = at ? new vscode.Range(positionAt(at.start), positionAt(at.end)) : new vscode.Range(0, 0, 0, 0);
    return new GateDiagnostic(range, failure, file);
  });
}

export class QualityGateDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection(DIAGNOSTIC_SOURCE);
  private readonly disposables: vscode.Disposable[] = [];
  private files: readonly string[] = [];

  constructor(private readonly config: Config) {
    this.disposables.push(vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('auLens.qualityGates')) void this.recheck(this.files);
    }));
  }

  /** Checks one eval file (just written by an evaluation, or changed). */
  async check(file: string): Promise<readonly GateDiagnostic[]> {
    const uri = vscode.Uri.file(file);
    let diagnostics: GateDiagnostic[] = [];
    try {
      const { text, result } = await readEvalFile(file);
      diagnostics = gateDiagnostics(file, text, result, this.config.qualityGates);
    } catch {
      // An unreadable file has no gate results; the runs view says why it cannot be read.
    }
    this.collection.set(uri, diagnostics);
    if (!this.files.includes(file)) this.files = [...this.files, file];
    return diagnostics;
  }

  /** Re-checks exactly these eval files; diagnostics of files not among them go. */
  async recheck(files: readonly string[]): Promise<void> {
    for (const old of this.files) if (!files.includes(old)) this.collection.delete(vscode.Uri.file(old));
    this.files = [...files];
    await Promise.all(files.map((f) => this.check(f)));
  }

  /** After a runs rescan: every readable evaluation of every run. */
  onRuns(runs: readonly RunEntry[]): Promise<void> {
    return this.recheck(runs.flatMap((r) => r.evaluations.filter((e) => 'result' in e).map((e) => e.file)));
  }

  dispose(): void {
    this.collection.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** Quick fixes on a gate diagnostic: the failing class's images to explain, and the setting to change. */
export class GateCodeActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range,
    context: vscode.CodeActionContext): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    for (const d of context.diagnostics) {
      if (d.source !== DIAGNOSTIC_SOURCE || typeof d.code !== 'string') continue;
      const className = /^([a-z]+): /.exec(d.message)?.[1];
      if (className) {
        const open = new vscode.CodeAction(`Open the failing images (${className})`, vscode.CodeActionKind.QuickFix);
        open.command = { command: 'auLens.openFailingImages', title: open.title, arguments: [document.uri, className] };
        open.diagnostics = [d];
        open.isPreferred = true;
        actions.push(open);
      }
      const change = new vscode.CodeAction(`Change the threshold (${d.code})`, vscode.CodeActionKind.QuickFix);
      change.command = { command: 'workbench.action.openSettings', title: change.title, arguments: [d.code] };
      change.diagnostics = [d];
      actions.push(change);
    }
    return actions;
  }
}
