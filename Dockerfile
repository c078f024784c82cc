# The hubspoke CLI with nats-server (for managed leaves, `--leaf-hub`, and `hubspoke dev`) and the example plugins:
#   docker build -t hubspoke .
#   docker run --rm hubspoke edge --help
# docker-compose.yml runs a hub, a control plane and two edges (each with its own leaf) with authorization on.
FROM nats:2.10.29 AS nats

FROM node:20-slim AS build
WORKDIR /app
# Manifests first, so that the dependency layer is rebuilt only when they change. --ignore-scripts: the root
# `prepare` (tsc -b) needs the sources, which come next.
COPY package.json package-lock.json ./
COPY packages/sdk/package.json packages/sdk/
COPY packages/runtime/package.json packages/runtime/
COPY packages/control-plane/package.json packages/control-plane/
COPY packages/edge-node/package.json packages/edge-node/
COPY packages/cli/package.json packages/cli/
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.base.json tsconfig.json ./
COPY packages packages
COPY examples examples
# Build from a clean slate even if the context carries a local build, then drop the dev dependencies.
RUN rm -rf packages/*/dist packages/*/tsconfig.tsbuildinfo \
 && npx tsc -b \
 && npm prune --omit=dev --no-audit --no-fund --ignore-scripts

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=nats /nats-server /usr/local/bin/nats-server
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/packages packages
COPY --from=build /app/examples examples
# Local state (file KV, a managed leaf's JetStream) and plugins mounted at /app/plugins (so that they resolve
# @hubspoke/sdk from /app/node_modules), owned by the unprivileged user.
RUN mkdir -p /var/lib/hubspoke /app/plugins /auth /data && chown node:node /var/lib/hubspoke /app/plugins /auth /data \
 && ln -s /app/packages/cli/bin/hubspoke.js /usr/local/bin/hubspoke
USER node
ENV HUBSPOKE_STATE_DIR=/var/lib/hubspoke \
    HUBSPOKE_METRICS_LISTEN=0.0.0.0:9464 \
    HUBSPOKE_LOG_FORMAT=json
EXPOSE 7411 9464
# /healthz of the node's metrics endpoint (HUBSPOKE_METRICS_LISTEN): live once the node is up.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const p=(process.env.HUBSPOKE_METRICS_LISTEN||'').split(':').pop();fetch('http://127.0.0.1:'+p+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# `hubspoke control` and `hubspoke edge` close cleanly on SIGTERM (docker stop).
ENTRYPOINT ["node", "/app/packages/cli/bin/hubspoke.js"]
CMD ["--help"]
