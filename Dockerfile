# syntax=docker/dockerfile:1.7
# ShelfWatch: the inference server, the PWA and the INT8 model in one image.
# The image tag is the model version (models/manifest.json "version"); the build refuses a
# MODEL_VERSION that differs from the manifest's:
#   v=$(node -p "require('./models/manifest.json').version")
#   docker build --build-arg MODEL_VERSION="$v" -t shelfwatch:"$v" .
# onnxruntime-node and sharp ship glibc binaries, so both stages use Debian (bookworm), not Alpine.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: install the workspace, build shared + server + PWA, stage production files ----
FROM ${NODE_IMAGE} AS build
ARG MODEL_VERSION=unknown
ENV PNPM_HOME=/pnpm CI=true
ENV PATH=${PNPM_HOME}:${PATH}
# pnpm comes from package.json "packageManager" through corepack.
RUN corepack enable
WORKDIR /src

# Dependencies first: `pnpm fetch` reads only the lockfile, so this layer survives source edits.
# .npmrc carries onnxruntime-node-install=skip (its postinstall would download a CUDA add-on).
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json .npmrc ./
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store pnpm fetch

COPY . .
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store pnpm install --offline --frozen-lockfile
# `pkg...` = the package and the workspace packages it depends on (@shelfwatch/shared).
RUN pnpm --filter "@shelfwatch/server..." --filter "@shelfwatch/web..." build

# The server with production dependencies only, workspace packages copied in (not linked).
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm --filter @shelfwatch/server deploy --prod /out/server
# The shipped model: manifest + the INT8 file it names, checked against MODEL_VERSION.
RUN node deploy/docker/stage-model.mjs models /out/models "${MODEL_VERSION}"

# ---- runtime: Node 20 slim, non-root, nothing but what the server runs ----
FROM ${NODE_IMAGE} AS runtime
ARG MODEL_VERSION=unknown
ARG VCS_REF=unknown
ARG BUILD_DATE=unknown
LABEL org.opencontainers.image.title="shelfwatch" \
      org.opencontainers.image.description="ShelfWatch shelf-photo product detector: Fastify + onnxruntime-node API and PWA, model included" \
      org.opencontainers.image.version="${MODEL_VERSION}" \
      org.opencontainers.image.revision="${VCS_REF}" \
      org.opencontainers.image.created="${BUILD_DATE}" \
      org.opencontainers.image.source="https://github.com/shelfwatch/shelfwatch" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="docker.io/library/node:20-bookworm-slim" \
      io.shelfwatch.model.version="${MODEL_VERSION}"

WORKDIR /app
# Owned by root and read-only to the server: the root file system can be mounted read-only.
COPY --from=build /out/server/package.json /app/server/package.json
COPY --from=build /out/server/node_modules /app/server/node_modules
COPY --from=build /out/server/dist /app/server/dist
COPY --from=build /src/web/dist /app/web/dist
COPY --from=build /out/models /app/models

# DATA_DIR holds embedded PGlite when DATABASE_URL is unset: the only path the server writes
# (plus /tmp). In Kubernetes both are emptyDirs (charts/shelfwatch writableVolumes).
RUN mkdir -p /data && chown 1000:1000 /data
# NODE_ENV=production makes the server refuse DEV_MODE; the glibc settings return freed image
# buffers to the system instead of keeping them per thread (docs/SECURITY.md).
ENV HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data \
    WEB_ROOT=/app/web/dist \
    NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    MALLOC_TRIM_THRESHOLD_=131072
VOLUME ["/data"]

# uid/gid 1000 is the base image's `node` user; numeric so Kubernetes runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080
# No curl in the slim image: Node 20's fetch does the check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "server/dist/server.js"]
