/**
 * uPlot in the VS Code theme's colours: the chart palette (--vscode-charts-*) and axis styles from the theme's
 * foreground, borders and font. uPlot bakes colours into its options, so pages rebuild their charts when the theme
 * changes (the body's class).
 */
import type uPlot from 'uplot';

const PALETTE = ['blue', 'orange', 'green', 'purple', 'red', 'yellow'] as const;
const FALLBACK: Readonly<Record<(typeof PALETTE)[number], string>> =
  { blue: '#3794ff', orange: '#d18616', green: '#89d185', purple: '#b180d7', red: '#f14c4c', yellow: '#cca700' };

export function themeVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/** The i-th chart colour of the theme. */
export const chartColour = (i: number): string => {
  const name = PALETTE[i % PALETTE.length]!;
  return themeVar(`--vscode-charts-${name}`, FALLBACK[name]);
};

/** An axis in the theme's foreground, borders and font. */
export function themedAxis(label: string, extra: uPlot.Axis = {}): uPlot.Axis {
  const stroke = themeVar('--vscode-foreground', '#888');
  const grid = { stroke: themeVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.3)'), width: 1 };
  const font = `11px ${themeVar('--vscode-font-family', 'sans-serif')}`;
  return { label, stroke, grid, ticks: grid, font, labelFont: font, ...extra };
}
