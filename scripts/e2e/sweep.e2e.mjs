// End-to-end test of sweeps through the real VS Code UI (scripts/e2e/lib.mjs): a λ × seed sweep whose twelve runs
// are made up (scripts/e2e/make-sweep-fixture.ts; one failed, one running), grouped in the Runs view; Show Sweep from
// the sweep file's context menu; the sweep panel's table, mean ± sd per λ and the λ chart; sorting and picking two
// runs with the keyboard, Compare These Two; Run Sweep's where-to-train pick; the panel in the light (the host's
// default), dark and high-contrast themes. SWEEP_E2E_REAL=<file.au-lens-sweep.json> (from the repository root)
// shows a real sweep's runs instead (the README's chart is its chart-light.png).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { extDir, runE2E } from './lib.mjs';

const NAME = 'lambda';
const real = process.env.SWEEP_E2E_REAL;

const prepare = (ws) => execFileSync(process.execPath, ['--import', 'tsx', path.join(extDir, 'scripts/e2e/make-sweep-fixture.ts'),
  ws, NAME, ...(real ? [path.resolve(extDir, real)] : [])], { cwd: extDir, stdio: 'ignore' });

await runE2E('sweep', { prepare, viewport: { width: 1500, height: 1000 } }, async (ui) => {
  const { page, step, shoot, tab, quickPickRow, explorerMenu, focusWorkbench, colourTheme } = ui;
  const panel = () => ui.webview();
  const treeRow = (text) => page.locator('.pane-body .monaco-list-row', { hasText: text }).first();
  const file = `${NAME}.au-lens-sweep.json`;

  if (!real) {
    await step('the Runs view groups the twelve runs under the sweep, with its progress', async () => {
      await page.locator('.activitybar .action-item a[aria-label^="AU Lens"]').first().click();
      await treeRow('sweep · 10/12 done').waitFor({ timeout: 30_000 });
      // Clicking the row itself runs Show Sweep, whose panel takes the focus (a key press could land there): the
      // twistie only expands.
      await treeRow('sweep · 10/12 done').locator('.monaco-tl-twistie').click();
      await treeRow('l9-s2').waitFor();
      await shoot('1-runs-view');
      await page.locator('.activitybar .action-item a[aria-label^="Explorer"]').first().click();
    });
  }

  await step('Show Sweep from the sweep file\'s context menu opens the panel: table, mean ± sd and the λ chart', async () => {
    await explorerMenu(file, 'Show Sweep', { screenshot: '2-context-menu' });
    await tab(`Sweep: ${real ? 'lambda-ck48' : NAME}`).waitFor({ timeout: 60_000 });
    await panel().locator('#content:not([hidden])').waitFor({ timeout: 60_000 });
    await panel().locator('#chart canvas').first().waitFor();
    await panel().locator('#groups table tbody tr').nth(3).waitFor();
    await panel().locator('#runs table tbody tr').nth(11).waitFor();
    const counts = await panel().locator('#counts').textContent();
    if (!real && !/12 runs: 10 completed, 1 running, 1 failed/.test(counts)) throw new Error(`counts: ${counts}`);
    const cell = await panel().locator('#groups table tbody tr').first().locator('td.num').nth(1).textContent();
    if (!/ ± /.test(cell)) throw new Error(`a grid point's cell reads "${cell}", not mean ± sd`);
    await shoot('3-panel-light');
    await panel().locator('#chart').locator('..').screenshot({ path: path.join(ui.shots, 'chart-light.png') });
  });

  if (!real) {
    await step('the keyboard sorts the runs and picks two to compare; Compare These Two asks what to compare on', async () => {
      const header = panel().locator('#runs th button', { hasText: 'lambda' });
      await header.focus();
      await page.keyboard.press('Enter');
      await panel().locator('#runs th[aria-sort="ascending"]', { hasText: 'lambda' }).waitFor();
      await page.keyboard.press('Enter');
      await panel().locator('#runs th[aria-sort="descending"]', { hasText: 'lambda' }).waitFor();
      await panel().locator('input[aria-label="Select l0-s0 to compare"]').focus();
      await page.keyboard.press('Space');
      await panel().locator('input[aria-label="Select l4-s0 to compare"]').focus();
      await page.keyboard.press('Space');
      await panel().locator('#selection', { hasText: 'Compare l0-s0 with l4-s0' }).waitFor();
      await shoot('4-two-runs-selected');
      await panel().locator('#compare').click();
      await quickPickRow('A dataset folder').waitFor();
      await page.keyboard.press('Escape');
    });
  }

  await step('the panel in the dark and high-contrast themes, the chart redrawn in their colours', async () => {
    await colourTheme('Dark Modern');
    await panel().locator('#chart canvas').first().waitFor();
    await shoot('5-panel-dark');
    await colourTheme('Dark High Contrast');
    await panel().locator('#chart canvas').first().waitFor();
    // The runs table this time: its state badges and row buttons keep their borders in high contrast.
    await panel().locator('#runs-h').evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await shoot('6-panel-high-contrast');
    await colourTheme('Light Modern');
  });

  if (!real) {
    await step('Run Sweep from the context menu reads the file and asks where the twelve runs train', async () => {
      await focusWorkbench();
      await explorerMenu(file, 'Run Sweep');
      await quickPickRow('This machine').waitFor();
      await page.locator('.quick-input-widget', { hasText: 'Run Sweep "lambda" (12 runs)' }).waitFor();
      await shoot('7-run-sweep-where');
      await page.keyboard.press('Escape');
    });
  }
});
