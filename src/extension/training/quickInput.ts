/**
 * One step of a multi-step quick input (VS Code's multiStepInput sample, reduced): a pick or an input box with
 * the step counter in its title, a Back button from the second step on, and focus kept when the window blurs.
 * Each step resolves with the answer, BACK, or undefined when the user escapes.
 */
import * as vscode from 'vscode';

export const BACK = Symbol('back');
export type Answer<T> = T | typeof BACK | undefined;

export interface Step {
  readonly title: string;
  readonly step: number;
  readonly totalSteps: number;
}

function setUp(input: vscode.QuickPick<vscode.QuickPickItem> | vscode.InputBox, step: Step, placeholder: string): void {
  input.title = step.title;
  input.step = step.step;
  input.totalSteps = step.totalSteps;
  input.placeholder = placeholder;
  input.ignoreFocusOut = true;
  input.buttons = step.step > 1 ? [vscode.QuickInputButtons.Back] : [];
}

/** Shows `input` until it settles; `accept` gives the answer or undefined to stay open (invalid input). */
function settle<T>(input: vscode.QuickPick<vscode.QuickPickItem> | vscode.InputBox,
  accept: () => T | undefined): Promise<Answer<T>> {
  return new Promise<Answer<T>>((resolve) => {
    let done = false;
    const finish = (answer: Answer<T>): void => {
      if (done) return;
      done = true;
      resolve(answer);
      input.dispose();
    };
    input.onDidTriggerButton((b) => b === vscode.QuickInputButtons.Back && finish(BACK));
    input.onDidAccept(() => {
      const answer = accept();
      if (answer !== undefined) finish(answer);
    });
    input.onDidHide(() => finish(undefined));
    input.show();
  });
}

export function pickOne<T extends vscode.QuickPickItem>(step: Step, items: readonly T[], placeholder: string,
  active?: T): Promise<Answer<T>> {
  const pick = vscode.window.createQuickPick<T>();
  setUp(pick as unknown as vscode.QuickPick<vscode.QuickPickItem>, step, placeholder);
  pick.items = items;
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  if (active) pick.activeItems = [active];
  return settle(pick as unknown as vscode.QuickPick<vscode.QuickPickItem>, () => pick.selectedItems[0]
    ?? pick.activeItems[0]);
}

export function pickMany<T extends vscode.QuickPickItem>(step: Step, items: readonly T[], placeholder: string,
  selected: readonly T[]): Promise<Answer<readonly T[]>> {
  const pick = vscode.window.createQuickPick<T>();
  setUp(pick as unknown as vscode.QuickPick<vscode.QuickPickItem>, step, placeholder);
  pick.canSelectMany = true;
  pick.items = items;
  pick.selectedItems = selected;
  const accept = (): readonly T[] | undefined => {
    if (pick.selectedItems.length > 0) return [...pick.selectedItems];
    pick.placeholder = 'Select at least one layer (Space toggles)';
    return undefined;
  };
  return settle(pick as unknown as vscode.QuickPick<vscode.QuickPickItem>, accept);
}

/** An input box whose `validate` returns an error message, or undefined for a valid value. */
export function inputText(step: Step,
  options: { value: string; prompt: string; placeholder?: string;
    validate: (value: string) => string | undefined }): Promise<Answer<string>> {
  const box = vscode.window.createInputBox();
  setUp(box, step, options.placeholder ?? '');
  box.value = options.value;
  box.prompt = options.prompt;
  box.onDidChangeValue((v) => (box.validationMessage = options.validate(v)));
  return settle(box, () => {
    const error = options.validate(box.value);
    box.validationMessage = error;
    return error === undefined ? box.value : undefined;
  });
}
