import type { Logger as Pino } from 'pino';

/** How the control plane keeps its state in JetStream: every stream and bucket gets `replicas` (never lowered). */
export interface StateOptions {
  replicas: number;
  log: Pino;
}
