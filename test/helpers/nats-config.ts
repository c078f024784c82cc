import type { NatsServerOptions } from './nats-types.js';

/** The ports one server listens on; leaf, cluster and monitor only when their options ask for them. */
export interface NatsServerPorts {
  client: number;
  leaf?: number;
  cluster?: number;
  monitor?: number;
}

export interface ConfigInput {
  name: string;
  ports: NatsServerPorts;
  storeDir: string;
  options: NatsServerOptions;
  extraConfig: string;
  /** The address every port binds; the Docker path binds 0.0.0.0 inside its container. @default '127.0.0.1' */
  host?: string;
}

/** Renders a nats-server config file. Strings are JSON-quoted: nats-server's parser reads that form. */
export function renderConfig(input: ConfigInput): string {
  const { name, ports, storeDir, options, extraConfig, host = '127.0.0.1' } = input;
  for (const [which, port] of Object.entries(ports)) {
    // nats-server reads 0 as its default port (4222 for clients), not as "any free port".
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new Error(`renderConfig: bad ${which} port ${port}`);
    }
  }
  const q = (s: string): string => JSON.stringify(s);
  const hostPort = (port: number): string => q(`${host}:${port}`);
  const lines = ['# Written by hubspoke test/helpers; rewritten by writeConfig().', `server_name: ${q(name)}`];
  lines.push(`listen: ${hostPort(ports.client)}`);
  if (ports.monitor !== undefined) lines.push(`http: ${hostPort(ports.monitor)}`);
  if (options.maxPayload !== undefined) lines.push(`max_payload: ${options.maxPayload}`);

  if (options.jetstream ?? true) {
    lines.push('jetstream {', `  store_dir: ${q(storeDir)}`);
    if (options.domain !== undefined) lines.push(`  domain: ${q(options.domain)}`);
    lines.push('}');
  }

  const remotes = options.leafRemotes ?? [];
  if (ports.leaf !== undefined || remotes.length > 0) {
    lines.push('leafnodes {');
    if (ports.leaf !== undefined) lines.push(`  listen: ${hostPort(ports.leaf)}`);
    if (remotes.length > 0) {
      lines.push('  reconnect: 1');
      // One remote: several URLs are the nodes of one hub cluster (two remotes would be two links to it).
      lines.push(`  remotes [ { urls: [ ${remotes.map(q).join(', ')} ] } ]`);
    }
    if (options.leafnodesExtra) lines.push(options.leafnodesExtra);
    lines.push('}');
  }

  if (options.cluster !== undefined && ports.cluster !== undefined) {
    lines.push('cluster {');
    lines.push(`  name: ${q(options.cluster.name)}`);
    lines.push(`  listen: ${hostPort(ports.cluster)}`);
    lines.push(`  routes [ ${options.cluster.routes.map(q).join(', ')} ]`);
    lines.push('}');
  }

  if (extraConfig.trim() !== '') lines.push('', '# extraConfig', extraConfig);
  return lines.join('\n') + '\n';
}
