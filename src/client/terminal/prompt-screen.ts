import readline from 'node:readline';

/**
 * The interactive terminal: a readline prompt, and printing that does not
 * break the line being typed. An incoming line clears the prompt (and the
 * rows a long typed line wrapped onto), is printed, and the prompt is drawn
 * again with the typed text and the cursor where they were.
 */
export class PromptScreen {
  private rl: readline.Interface | undefined;

  constructor(
    private readonly input: NodeJS.ReadableStream,
    private readonly output: NodeJS.WritableStream,
  ) {}

  print(line: string): void {
    const rl = this.rl;
    if (!rl) {
      this.output.write(`${line}\n`);
      return;
    }
    const { rows } = rl.getCursorPos();
    readline.moveCursor(this.output, 0, -rows);
    readline.cursorTo(this.output, 0);
    readline.clearScreenDown(this.output);
    this.output.write(`${line}\n`);
    rl.prompt(true);
  }

  /** Starts the prompt; `onLine` gets each entered line, `onEnd` Ctrl-D or Ctrl-C. */
  start(prompt: string, onLine: (line: string) => void, onEnd: () => void): void {
    const rl = readline.createInterface({
      input: this.input,
      output: this.output,
      prompt,
      terminal: true,
      historySize: 200,
      removeHistoryDuplicates: true,
    });
    this.rl = rl;
    rl.on('line', onLine);
    rl.on('SIGINT', () => rl.close());
    rl.on('close', () => {
      this.rl = undefined;
      onEnd();
    });
    rl.prompt();
  }

  setPrompt(prompt: string): void {
    this.rl?.setPrompt(prompt);
  }

  prompt(): void {
    this.rl?.prompt();
  }

  close(): void {
    this.rl?.close();
  }
}
