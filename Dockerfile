# The hubspoke CLI with the example plugins, built from this repository:
#   docker build -t hubspoke .
#   docker run --rm hubspoke edge --help
# docker-compose.yml runs a hub, a control plane and two edge sites with it.
FROM node:20-slim AS build
WORKDIR /app
# Manifests first, so that the dependency layer is rebuilt only when they change.
COPY package.json package-lock.json ./
COPY packages/sdk/package.json packages/sdk/
COPY packages/runtime/package.json packages/runtime/
COPY packages/control-plane/package.json packages/control-plane/
COPY packages/edge-node/package.json packages/edge-node/
COPY packages/cli/package.json packages/cli/
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.json ./
COPY packages packages
COPY examples examples
# Build from a clean slate even if the context carries a local build, then drop the dev dependencies.
RUN rm -rf packages/*/dist packages/*/tsconfig.tsbuildinfo \
 && npx tsc -b \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/packages packages
COPY --from=build /app/examples examples
# The edge's local state (file KV when it has no JetStream of its own), owned by the unprivileged user.
RUN mkdir -p /var/lib/hubspoke && chown node:node /var/lib/hubspoke
USER node
ENV HUBSPOKE_STATE_DIR=/var/lib/hubspoke
# `hubspoke control` and `hubspoke edge` close cleanly on SIGTERM (docker stop).
ENTRYPOINT ["node", "/app/packages/cli/dist/main.js"]
CMD ["--help"]
