import * as path from 'node:path';
import * as vscode from 'vscode';

/** Formats AU Lens reads (sharp's jpeg, png, tiff, webp, gif); package.json's menus use the same list. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> =
  new Set(['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.webp', '.gif']);

export const IMAGE_HINT = 'AU Lens: select an image (PNG, JPEG, TIFF, WebP or GIF) in the Explorer or open one first.';

/** The image the user means: the Explorer item they right-clicked, else the image open in the active tab. */
export function targetImage(uri: unknown): vscode.Uri | undefined {
  const candidate = uri instanceof vscode.Uri ? uri : activeTabUri();
  if (!candidate || !IMAGE_EXTENSIONS.has(path.extname(candidate.fsPath).toLowerCase())) return undefined;
  return candidate;
}

/** A command on an image: resolves it (argument or active tab) and explains the mistake when there is none. */
export function onImage(run: (image: vscode.Uri) => Promise<void>): (uri?: vscode.Uri) => Promise<void> {
  return async (uri) => {
    const image = targetImage(uri);
    if (image) return run(image);
    void vscode.window.showErrorMessage(IMAGE_HINT);
  };
}

function activeTabUri(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText) return input.uri;
  return undefined;
}
