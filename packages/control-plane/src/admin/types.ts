// The messages of proto/hubspoke/v1/admin.proto as @grpc/proto-loader presents them (camelCase fields, 64-bit
// integers as numbers, every field present with its default). Requests may leave fields out.

/** @see ForgetEdgeRequest in admin.proto */
export interface ForgetEdgeRequest {
  edgeId: string;
}

/** `valueJson` is the value as JSON text (`"null"` is a value). @see PutConfigRequest in admin.proto */
export interface PutConfigRequest {
  key: string;
  /** Empty or left out: global. */
  namespace?: string;
  valueJson: string;
}

/** @see GetConfigRequest in admin.proto */
export interface GetConfigRequest {
  key: string;
  namespace?: string;
}

/** @see DeleteConfigRequest in admin.proto */
export type DeleteConfigRequest = GetConfigRequest;

/** @see ListConfigRequest in admin.proto */
export interface ListConfigRequest {
  namespace?: string;
  prefix?: string;
}

/** @see PayloadFilter in admin.proto */
export interface PayloadFilter {
  edgeId?: string;
  namespace?: string;
  sinceUnixMs?: number;
  untilUnixMs?: number;
  correlationId?: string;
}

/** @see DeadLetterFilter in admin.proto */
export interface DeadLetterFilter extends PayloadFilter {
  /** The receiver that failed it. */
  plugin?: string;
}

/** One payload as the hub keeps it. @see PayloadInfo in admin.proto */
export interface PayloadInfo {
  streamSeq: number;
  id: string;
  namespace: string;
  edgeId: string;
  correlationId: string;
  causationId: string;
  origin: string;
  edgeTimeUnixMs: number;
  receivedUnixMs: number;
  metadata: Record<string, string>;
  contentType: string;
  size: number;
  sequence: number;
  sequenceEpoch: string;
  redriven: boolean;
  error: string;
  traceparent: string;
  body: Uint8Array;
  topic: string;
}

export interface ListPayloadsRequest {
  filter?: PayloadFilter;
  limit?: number;
  afterSeq?: number;
  includeBody?: boolean;
}

export interface ListPayloadsReply {
  payloads: PayloadInfo[];
  truncated: boolean;
}

export interface GetPayloadRequest {
  id?: string;
  streamSeq?: number;
}

export interface GetPayloadReply {
  payload: PayloadInfo | null;
}

export interface ReplayRequest {
  filter?: PayloadFilter;
  dryRun?: boolean;
  plugin?: string;
}

export interface ReplayFailure {
  payloadId: string;
  streamSeq: number;
  plugin: string;
  reason: string;
}

/** @see ReplayProgress in admin.proto */
export interface ReplayProgress {
  matched: number;
  offered: number;
  handled: number;
  failed: number;
  done: boolean;
  error: string;
  scanned: number;
  total: number;
  failures: ReplayFailure[];
  replayId: string;
  dryRun: boolean;
}

/** @see DeadLetter in admin.proto */
export interface DeadLetter {
  seq: number;
  payload: PayloadInfo | null;
  reason: string;
  plugin: string;
  attempts: number;
  deadLetteredUnixMs: number;
}

export interface ListDeadLettersRequest {
  filter?: DeadLetterFilter;
  limit?: number;
  afterSeq?: number;
  includeBody?: boolean;
}

export interface ListDeadLettersReply {
  deadLetters: DeadLetter[];
  truncated: boolean;
}

/** Exactly one of `seqs` and `all` (with `confirm: 'all'`); `filter` with `all` only. Drop takes the same. */
export interface RedriveRequest {
  seqs?: number[];
  all?: boolean;
  /** `'all'` with `all: true`, else the call is refused: `all` alone selects nothing. */
  confirm?: 'all';
  filter?: DeadLetterFilter;
}

export interface Redriven {
  seq: number;
  payloadId: string;
  streamSeq: number;
}

export interface RedriveReply {
  redriven: Redriven[];
  missing: number[];
}

export type DropRequest = RedriveRequest;

export interface DropReply {
  dropped: number[];
  missing: number[];
}
