/**
 * HTML for a webview app: the static src/webview/<app>/index.html (copied to dist/webview/<app>.html by the build)
 * with its #{token} placeholders filled (GitLens' replaceWebviewHtmlTokens), a fresh nonce per page, and one
 * function for the resource roots so that creating and reviving a panel allow exactly the same files.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/** @vscode-elements/elements ships one ES module with every component; the page loads it from the extension. */
const ELEMENTS_DIR = ['node_modules', '@vscode-elements', 'elements', 'dist'];

/** The folders a page may load from: our bundles, styles and components, the preview cache, and `extra` (photos). */
export function webviewOptions(extensionUri: vscode.Uri, storageUri: vscode.Uri,
  extra: readonly vscode.Uri[] = []): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    // The page keeps its UI state (getState/setState); data is re-sent on reveal, so no hidden page is kept alive.
    retainContextWhenHidden: false,
    localResourceRoots: [
      vscode.Uri.joinPath(extensionUri, 'dist', 'webview'),
      vscode.Uri.joinPath(extensionUri, 'media'),
      vscode.Uri.joinPath(extensionUri, ...ELEMENTS_DIR),
      storageUri,
      ...extra,
    ],
  };
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The page of `app` with its tokens filled; every value is HTML-escaped. */
export async function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, app: string,
  tokens: Readonly<Record<string, string>> = {}): Promise<string> {
  const file = vscode.Uri.joinPath(extensionUri, 'dist', 'webview', `${app}.html`);
  const template = new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
  const values: Record<string, string> = {
    cspSource: webview.cspSource,
    cspNonce: randomBytes(16).toString('base64'),
    root: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview')).toString(),
    media: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media')).toString(),
    elements: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...ELEMENTS_DIR, 'bundled.js')).toString(),
    ...tokens,
  };
  return template.replace(/#\{(\w+)\}/g, (whole, name: string) => (name in values ? escapeHtml(values[name]!) : whole));
}
