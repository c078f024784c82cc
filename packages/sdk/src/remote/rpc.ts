import { createHash, timingSafeEqual } from 'node:crypto';
import {
  Metadata,
  status,
  type Client,
  type ServerUnaryCall,
  type ServiceDefinition,
  type ServiceError,
  type StatusObject,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { ErrorCode, HubspokeError } from '../errors.js';
import { descriptors } from '../gen/descriptors.js';
import { parseStatusDetails, statusOfError } from './status.js';

/** Full names of the two services of proto/hubspoke/v1/plugin.proto. */
export const PLUGIN_SERVICE = 'hubspoke.v1.Plugin';
export const HOST_SERVICE = 'hubspoke.v1.Host';
/** `hubspoke.v1.PluginProtocol.PLUGIN_PROTOCOL_V1`. */
export const PLUGIN_PROTOCOL = 1;

/** The environment a host gives a plugin process it starts. */
export const PLUGIN_ENV = {
  /** Where the host's Host service listens. */
  host: 'HUBSPOKE_PLUGIN_HOST',
  /** The one-time token every call carries, both ways. */
  token: 'HUBSPOKE_PLUGIN_TOKEN',
  /** The protocol version the host speaks. */
  protocol: 'HUBSPOKE_PLUGIN_PROTOCOL',
  /** Where the plugin should listen (attach mode, or to pin a port). @default 127.0.0.1:0 */
  listen: 'HUBSPOKE_PLUGIN_LISTEN',
} as const;

const definitions = new Map<string, ServiceDefinition>();

/** A service of plugin.proto, from the generated descriptors: camelCase fields, longs as numbers, enums as numbers. */
export function serviceDefinition(name: typeof PLUGIN_SERVICE | typeof HOST_SERVICE): ServiceDefinition {
  let d = definitions.get(name);
  if (!d) {
    const pkg = fromJSON(descriptors as unknown as Parameters<typeof fromJSON>[0], {
      longs: Number,
      defaults: true,
      arrays: true,
      objects: true,
    });
    d = pkg[name] as ServiceDefinition;
    definitions.set(name, d);
  }
  return d;
}

/** Metadata carrying the token. */
export function bearer(token: string): Metadata {
  const m = new Metadata();
  m.set('authorization', `Bearer ${token}`);
  return m;
}

/**
 * True when `presented` equals `expected`, compared in constant time (for their common length): a wrong token
 * takes as long to refuse whichever of its characters differ. An empty expected token matches nothing.
 */
export function tokensEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return expected.length > 0 && timingSafeEqual(a, b) && presented === expected;
}

/** The token of an `authorization: Bearer <token>` value; undefined when it is not one. */
export function bearerToken(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^Bearer ([^\s]+)$/.exec(value.trim());
  return m?.[1];
}

/** True when the call carries exactly this token (compared in constant time). */
export function hasToken(md: Metadata, token: string): boolean {
  const got = bearerToken(md.get('authorization')[0]);
  return got !== undefined && tokensEqual(got, token);
}

/** The gRPC status of an error; the message keeps its `HS_ERR_*` code in front so the other side can rebuild it. */
export function toStatus(err: unknown): Partial<StatusObject> {
  return statusOfError(err, { status: status.UNKNOWN, code: ErrorCode.Plugin });
}

/** A failed call as a hubspoke error: the code the other side put in front, else `fallback`, with `what` in front. */
export function fromServiceError(err: ServiceError, fallback: ErrorCode, what: string): HubspokeError {
  const details = err.details || err.message;
  const coded = parseStatusDetails(details);
  if (coded) return new HubspokeError(coded.code, coded.message, { cause: err });
  const why =
    err.code === status.DEADLINE_EXCEEDED ? 'no answer in time' : `${status[err.code] ?? err.code}: ${details}`;
  const code = err.code === status.UNAUTHENTICATED ? ErrorCode.Unauthenticated : fallback;
  return new HubspokeError(code, `${what}: ${why}`, { cause: err });
}

/** A unary handler that checks the token, runs `fn` and answers with its result or its error's status. */
export function unary<Req, Res>(
  token: () => string | undefined,
  fn: (req: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res> | Res,
) {
  return (call: ServerUnaryCall<Req, Res>, done: sendUnaryData<Res>): void => {
    const t = token();
    if (t === undefined || !hasToken(call.metadata, t)) {
      done({
        code: status.UNAUTHENTICATED,
        details: `${ErrorCode.Unauthenticated}: the call does not carry this session's token`,
      });
      return;
    }
    let r: Promise<Res> | Res;
    try {
      r = fn(call.request, call);
    } catch (err) {
      done(toStatus(err));
      return;
    }
    Promise.resolve(r).then(
      (v) => done(null, v),
      (err: unknown) => done(toStatus(err)),
    );
  };
}

type UnaryFn = (
  req: unknown,
  md: Metadata,
  opts: { deadline: number; waitForReady?: boolean },
  cb: (err: ServiceError | null, res: unknown) => void,
) => void;

/** Calls one unary method with the token and a deadline. */
export function callUnary<Res>(
  client: Client,
  method: string,
  req: object,
  token: string,
  timeoutMs: number,
  waitForReady = false,
): Promise<Res> {
  const fn = (client as unknown as Record<string, UnaryFn>)[method];
  if (!fn) throw new HubspokeError(ErrorCode.Internal, `no method ${method}`);
  return new Promise<Res>((resolve, reject) => {
    fn.call(client, req, bearer(token), { deadline: Date.now() + timeoutMs, waitForReady }, (err, res) =>
      err ? reject(err) : resolve(res as Res),
    );
  });
}
