// Test helpers: real nats-server processes on free loopback ports, torn down with `await using`.
export { freePort, freePorts } from './ports.js';
export { sleep, waitFor } from './wait.js';
export { PortInUseError, startNatsServer } from './nats-server.js';
export { startCluster } from './nats-cluster.js';
export { dockerAvailable } from './nats-docker.js';
export { makeTestPki } from './tls.js';
export { killTrackedProcesses, trackedProcessCount } from './processes.js';
export type { WaitForOptions } from './wait.js';
export type { NatsServer, NatsServerOptions } from './nats-types.js';
export type { NatsClusterOptions } from './nats-cluster.js';
export type { CertFiles, TestPki } from './tls.js';
