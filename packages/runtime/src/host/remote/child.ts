import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger as Pino } from 'pino';

/** A started plugin process: its output goes to the node's log, line by line; the last stderr lines are kept. */
export class PluginProcess {
  readonly child: ChildProcess;
  /** Resolves with how it ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly tail: string[] = [];

  constructor(command: string[], env: Record<string, string>, cwd: string | undefined, log: () => Pino) {
    const [file, ...args] = command as [string, ...string[]];
    this.child = spawn(file, args, {
      env: { ...process.env, ...env },
      ...(cwd ? { cwd } : {}),
      // stdin stays open for the plugin's lifetime: when it ends (this process gone, even killed), the plugin exits.
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.child.once('error', (err) => log().error({ err, command }, 'plugin process could not start'));
    this.child.stdin?.on('error', () => undefined);
    const pid = this.child.pid;
    createInterface({ input: this.child.stdout! }).on('line', (line) => log().info({ stream: 'stdout', pid }, line));
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.tail.push(line);
      if (this.tail.length > 20) this.tail.shift();
      log().warn({ stream: 'stderr', pid }, line);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines it wrote on stderr. */
  stderrTail(): string {
    return this.tail.join('\n');
  }

  /** Closes its stdin (the polite "go"), then kills it if it is still there after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    if (!this.running) return;
    this.child.stdin?.end();
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((r) => {
      timer = setTimeout(() => {
        this.kill();
        r();
      }, graceMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    await this.exited;
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}
