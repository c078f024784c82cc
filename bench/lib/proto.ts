// The "hand-rolled envelope" twin: what a user would write without hubspoke, protobufjs by reflection.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const PROTO = fileURLToPath(new URL('../../proto/hubspoke/v1/envelope.proto', import.meta.url));

export function loadEnvelope(): protobuf.Type {
  return protobuf.loadSync(PROTO).lookupType('hubspoke.v1.Envelope');
}
