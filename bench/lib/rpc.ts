// Parent side of the bench's worker processes: fork `bench/worker.ts` through tsx and call it over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('../worker.ts', import.meta.url));

/** Where `--cpu-prof` runs write their profiles (one file per worker process). */
export const profile: { dir: string | undefined } = { dir: undefined };

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

/** One worker process hosting one role (see bench/worker.ts). */
export class Worker {
  private readonly child: ChildProcess;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited = false;

  constructor(
    readonly role: string,
    readonly label = role,
  ) {
    const execArgv = ['--import', 'tsx', '--expose-gc'];
    if (profile.dir) {
      // One folder per worker: the main thread and tsx's loader thread each write a profile (default names).
      const dir = join(profile.dir, label);
      mkdirSync(dir, { recursive: true });
      execArgv.push('--cpu-prof', '--cpu-prof-dir', dir);
    }
    this.child = fork(WORKER, [role], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(`${this.label}: ${m.error}`));
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new Error(`${this.label} exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  call<T = unknown>(cmd: string, args: unknown = {}): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.label} has exited`));
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, cmd, args });
    });
  }

  /** SIGKILLs the process (a fault: nothing is closed) and resolves once it is gone. */
  async kill(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGKILL');
    await gone;
  }

  /** Asks the role to close, then the process to exit; kills it after 10 s. */
  async close(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    await this.call('close').catch(() => undefined);
    this.child.send({ id: 0, cmd: 'exit', args: {} });
    const t = setTimeout(() => this.child.kill('SIGKILL'), 10000);
    await gone;
    clearTimeout(t);
  }
}

/** Starts workers, runs `fn`, and closes them whatever happens. */
export async function withWorkers<T>(workers: Worker[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}
