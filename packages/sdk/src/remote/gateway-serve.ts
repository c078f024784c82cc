import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import { ErrorCode, HubspokeError } from '../errors.js';
import type { Plugin } from '../plugin.js';
import type { Context } from '../services.js';
import { decodeGateway, encodeGateway, GATEWAY_HOOKS, reviveArgument } from './gateway-wire.js';
import { hasToken } from './rpc.js';

interface Call {
  id: number;
  hook: string;
  json: string;
}
interface Reply {
  id: number;
  json: string;
  error: string;
  more?: boolean;
  chunk?: Uint8Array;
}

const HOOKS: ReadonlySet<string> = new Set(GATEWAY_HOOKS);

/**
 * The plugin's side of the Gateway stream: every call runs at once (calls of many requests interleave), and its
 * answer is written by id when it finishes. A hook that throws answers `error` with its HS_ERR_* message.
 */
export function gatewayStreamHandler(
  plugin: Plugin,
  token: () => string,
  ctx: () => Context,
): (call: ServerDuplexStream<Call, Reply>) => void {
  return (call) => {
    if (!hasToken(call.metadata, token())) {
      call.emit('error', {
        code: status.UNAUTHENTICATED,
        details: `${ErrorCode.Plugin}: the call does not carry this session's token (unauthenticated)`,
      });
      return;
    }
    const p = plugin as unknown as Record<string, unknown>;
    call.on('data', (c: Call) => {
      void (async () => {
        let reply: Reply;
        try {
          const fn = p[c.hook];
          if (!HOOKS.has(c.hook) || typeof fn !== 'function')
            throw new HubspokeError(ErrorCode.NotSupported, `plugin ${plugin.info.name} has no ${c.hook}`);
          const arg = reviveArgument(c.hook, decodeGateway(c.json));
          const r: unknown = await (fn as (x: Context, a: unknown) => unknown).call(plugin, ctx(), arg);
          const stream =
            c.hook === 'handleEndpoint' ? (r as { stream?: AsyncIterable<Uint8Array> })?.stream : undefined;
          if (stream) {
            // A streamed answer: the head, then each chunk as the plugin yields it, then the end.
            const { stream: _s, ...head } = r as Record<string, unknown>;
            const write = (x: Reply): boolean => !call.writableEnded && !call.destroyed && call.write(x);
            write({ id: c.id, json: encodeGateway(head), error: '', more: true });
            for await (const chunk of stream) if (!write({ id: c.id, json: '', error: '', more: true, chunk })) break;
            reply = { id: c.id, json: '', error: '' };
          } else reply = { id: c.id, json: encodeGateway(r), error: '' };
        } catch (err) {
          const msg = (err as Error)?.message ?? String(err);
          reply = { id: c.id, json: '', error: /^HS_ERR_/.test(msg) ? msg : `${ErrorCode.Plugin}: ${msg}` };
        }
        if (!call.writableEnded && !call.destroyed) call.write(reply);
      })();
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  };
}
