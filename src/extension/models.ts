/**
 * The active model: remembered per workspace (workspaceState) and shown in a status bar item that opens the
 * model pick. Until the user picks one it is the built-in face-api expression network; undefined means the
 * user chose no model: the panel then shows landmarks and the AU maps of every expression.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BUILTIN_MODEL } from '../trainer/protocol';

const STATE_KEY = 'auLens.activeModel';
/** Stored for an explicit "No model", so that it differs from "never chosen" (the built-in model). */
const NO_MODEL = '';

export class ModelStore implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('auLens.model', vscode.StatusBarAlignment.Right, 100);
  private readonly changed = new vscode.EventEmitter<string | undefined>();
  /** Fires with the new model path (undefined: none). */
  readonly onDidChange = this.changed.event;

  constructor(private readonly state: vscode.Memento) {
    this.item.name = 'AU Lens Model';
    this.item.command = 'auLens.selectModel';
    this.render();
    this.item.show();
  }

  get active(): string | undefined {
    const stored = this.state.get<string>(STATE_KEY);
    if (stored === undefined) return BUILTIN_MODEL;
    return stored === NO_MODEL ? undefined : stored;
  }

  async set(model: string | undefined): Promise<void> {
    if (model === this.active) return;
    await this.state.update(STATE_KEY, model ?? NO_MODEL);
    this.render();
    this.changed.fire(model);
  }

  private render(): void {
    const model = this.active;
    const name = model === undefined ? 'no model' : model === BUILTIN_MODEL
      ? 'face-api (built-in)' : path.basename(model);
    this.item.text = `$(hubot) AU Lens: ${name}`;
    this.item.tooltip = model === undefined
      ? 'AU Lens explains with landmarks and AU maps only. Click to select a checkpoint or ONNX model.'
      : `AU Lens explains with ${model}. Click to change the model.`;
    this.item.accessibilityInformation = { label: `AU Lens model: ${name}. Select to change it.`, role: 'button' };
  }

  dispose(): void {
    this.item.dispose();
    this.changed.dispose();
  }
}
