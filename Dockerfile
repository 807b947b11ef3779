# syntax=docker/dockerfile:1
# switchyard container image: build with devDependencies, run with production dependencies only.
#   docker build -t switchyard .
#   docker run --rm -p 8000:8000 --env-file .env switchyard
# Configuration: /app/config.yaml (mount your own over it, or pass another with --config); every
# ${VAR} in it comes from the container's environment (see .env.example).

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: TypeScript -> dist/ (dist/src, dist/strategies) ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `prepare` would build before the sources are here; build explicitly below instead.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY strategies ./strategies
RUN npm run build

# ---- runtime: production dependencies and the compiled output only ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` runs `npm run build`, which needs TypeScript (a devDependency).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY config.yaml ./config.yaml
# Files stay owned by root (read-only for the process); the official image's unprivileged user runs it.
USER node
EXPOSE 8000
# No curl in slim images: node's fetch. 200 = ok or degraded; 503 = no usable provider (every breaker
# open, or none configured); 401 if auth.public_health is false.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The node flags of the bin's shebang (src/cli.ts): a capped young generation keeps RSS down (README, Memory).
CMD ["node", "--max-semi-space-size=8", "dist/src/cli.js", "serve", "--config", "/app/config.yaml"]
