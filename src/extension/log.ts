import * as vscode from 'vscode';

/**
 * The AU Lens output channel. Logging an error does not reveal it, which would take the focus from the user's
 * work: the notification that reports the error offers "Show Output" instead.
 */
export class Log implements vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel('AU Lens', { log: true });

  info(message: string): void {
    this.channel.info(message);
  }

  warn(message: string): void {
    this.channel.warn(message);
  }

  error(message: string): void {
    this.channel.error(message);
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
