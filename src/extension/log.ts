import * as vscode from 'vscode';

/** The AU Lens output channel. Errors also reveal it, since that is where the details are. */
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
