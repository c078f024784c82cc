import type { LogOptions } from '@hubspoke/runtime';
import PinoPretty from 'pino-pretty';

/** How `control` and `edge` write their logs. */
export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * The runtime's log options for a format: `pretty` (colours, one readable line per entry: pino-pretty),
 * `json` (pino's JSON lines, for collectors), or `auto`: pretty when stdout is a terminal, JSON otherwise.
 */
export function logOutput(
  level: string,
  format: LogFormat,
  stdout: { isTTY?: boolean } = process.stdout,
  env: Readonly<Record<string, string | undefined>> = process.env,
  out?: NodeJS.WritableStream,
): LogOptions {
  const pretty = format === 'pretty' || (format === 'auto' && stdout.isTTY === true);
  if (!pretty) return { level };
  const destination = PinoPretty({
    colorize: !env['NO_COLOR'] && (stdout.isTTY === true || env['FORCE_COLOR'] !== undefined),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,name',
    messageFormat: '{if plugin}[{plugin}] {end}{msg}',
    sync: true,
    ...(out ? { destination: out } : {}),
  });
  return { level, destination };
}
