// For hubspoke's own runtimes: not part of the plugin author's API, and may change between minor versions.
export { assertMetadata, assertPayloadSize } from './validate.js';
export { ENVELOPE_OVERHEAD_BYTES } from './limits.js';
export { descriptors } from './gen/descriptors.js';
