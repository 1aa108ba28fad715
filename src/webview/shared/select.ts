/** vscode-single-select (from @vscode-elements/elements) as the pages use it. */
import { h } from './dom';

/** Fills a vscode-single-select; the selected option is marked on the option itself, which the element reads. */
export function fillSelect(select: HTMLElement, options: readonly { value: string; label: string }[],
  selected: string): void {
  select.replaceChildren(...options.map((o) =>
    h('vscode-option', { value: o.value, selected: o.value === selected }, o.label)));
}

export const selectValue = (select: HTMLElement): string => (select as HTMLElement & { value: string }).value;
