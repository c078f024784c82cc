import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from '@hubspoke/sdk';
import { pino, type Logger as Pino, type LoggerOptions } from 'pino';

/** What a handler is working on; every log line written inside it carries these. */
export interface HandlerScope {
  eventId?: string;
  payloadId?: string;
  correlationId?: string;
  traceparent?: string;
}

/** The scope of the handler running now (AsyncLocalStorage), read by the loggers and by publish. */
export const handlerScope = new AsyncLocalStorage<HandlerScope>();

/** Options of the runtime's logger. */
export interface LogOptions {
  /** pino level. @default process.env.HUBSPOKE_LOG_LEVEL ?? 'info' */
  level?: string;
  /** A pino destination (for tests and the dev command). @default stdout */
  destination?: pino.DestinationStream;
}

/** Makes the root pino logger of a node; each line carries the node and, inside handlers, the event in hand. */
export function createRootLogger(node: string, opts: LogOptions | Pino | undefined): Pino {
  if (opts && typeof (opts as Pino).child === 'function') return (opts as Pino).child({ node });
  const o = (opts ?? {}) as LogOptions;
  const options: LoggerOptions = {
    name: 'hubspoke',
    level: o.level ?? process.env['HUBSPOKE_LOG_LEVEL'] ?? 'info',
    base: { node },
    mixin: () => handlerScope.getStore() ?? {},
  };
  return o.destination ? pino(options, o.destination) : pino(options);
}

/** The narrow {@link Logger} a plugin gets, bound to its name. */
export function pluginLogger(root: Pino, plugin: string): Logger {
  const l = root.child({ plugin });
  return {
    debug: (msg, fields) => l.debug(fields ?? {}, msg),
    info: (msg, fields) => l.info(fields ?? {}, msg),
    warn: (msg, fields) => l.warn(fields ?? {}, msg),
    error: (msg, fields) => l.error(fields ?? {}, msg),
  };
}
