import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

// Every nats-server child this process started and has not seen exit, and every temp folder the helpers made and
// have not removed yet. When this process exits (synchronously, on 'exit') or receives SIGINT/SIGTERM, the children
// are SIGKILLed and the folders removed, so a failed or interrupted run leaves nothing behind. A SIGKILL of the test
// process itself cannot be caught: its servers outlive it.
const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let hooksInstalled = false;

/** Registers a child for cleanup at exit; it leaves the set by itself when it exits. */
export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.once('error', () => children.delete(child));
  installHooks();
}

/** Registers a temp folder to remove at exit unless `untrackTempDir` was called first. */
export function trackTempDir(dir: string): void {
  tempDirs.add(dir);
  installHooks();
}

export function untrackTempDir(dir: string): void {
  tempDirs.delete(dir);
}

/** How many tracked children are still alive (a test can assert 0 at its end). */
export function trackedProcessCount(): number {
  return children.size;
}

/** SIGKILLs every tracked child and removes every tracked temp folder, synchronously. */
export function killTrackedProcesses(): void {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
  tempDirs.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killTrackedProcesses);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      killTrackedProcesses();
      process.off(signal, onSignal);
      // Listening for a signal replaces Node's default "terminate"; restore it when nobody else listens.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
