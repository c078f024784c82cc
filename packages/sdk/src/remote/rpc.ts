import { timingSafeEqual } from 'node:crypto';
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
import { ErrorCode, HubspokeError, isHubspokeError } from '../errors.js';
import { descriptors } from '../gen/descriptors.js';

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

/** True when the call carries exactly this token (compared in constant time). */
export function hasToken(md: Metadata, token: string): boolean {
  const got = md.get('authorization')[0];
  if (typeof got !== 'string') return false;
  const a = Buffer.from(got);
  const b = Buffer.from(`Bearer ${token}`);
  return a.length === b.length && timingSafeEqual(a, b);
}

const BY_CODE: Partial<Record<string, status>> = {
  [ErrorCode.InvalidArgument]: status.INVALID_ARGUMENT,
  [ErrorCode.InvalidName]: status.INVALID_ARGUMENT,
  [ErrorCode.InvalidTopic]: status.INVALID_ARGUMENT,
  [ErrorCode.InvalidKey]: status.INVALID_ARGUMENT,
  [ErrorCode.MetadataInvalid]: status.INVALID_ARGUMENT,
  [ErrorCode.PayloadTooLarge]: status.INVALID_ARGUMENT,
  [ErrorCode.ConfigInvalid]: status.INVALID_ARGUMENT,
  [ErrorCode.ScopeDenied]: status.PERMISSION_DENIED,
  [ErrorCode.NotConnected]: status.UNAVAILABLE,
  [ErrorCode.OutboxFull]: status.RESOURCE_EXHAUSTED,
  [ErrorCode.Closed]: status.UNAVAILABLE,
  [ErrorCode.NotSupported]: status.UNIMPLEMENTED,
};

/** The gRPC status of an error; the message keeps its `HS_ERR_*` code in front so the other side can rebuild it. */
export function toStatus(err: unknown): Partial<StatusObject> {
  if (isHubspokeError(err)) {
    return { code: BY_CODE[err.code] ?? status.INTERNAL, details: (err as Error).message };
  }
  return { code: status.UNKNOWN, details: `${ErrorCode.Plugin}: ${(err as Error)?.message ?? String(err)}` };
}

/** A failed call as a hubspoke error: the code the other side put in front, else `fallback`, with `what` in front. */
export function fromServiceError(err: ServiceError, fallback: ErrorCode, what: string): HubspokeError {
  const details = err.details || err.message;
  const m = /^(HS_ERR_[A-Z_]+): ([\s\S]*)$/.exec(details);
  if (m && (Object.values(ErrorCode) as string[]).includes(m[1] as string)) {
    return new HubspokeError(m[1] as ErrorCode, m[2] as string, { cause: err });
  }
  const why =
    err.code === status.DEADLINE_EXCEEDED ? 'no answer in time' : `${status[err.code] ?? err.code}: ${details}`;
  return new HubspokeError(fallback, `${what}: ${why}`, { cause: err });
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
        details: `${ErrorCode.Plugin}: the call does not carry this session's token (unauthenticated)`,
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
