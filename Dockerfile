# fleet-manager image: a build stage compiles TypeScript, a deps stage installs production
# dependencies only, and the runtime stage gets just those plus dist/ and the sample game server.
#
# Debian slim rather than Alpine: `npm ci` installs the devDependency `node`, whose install script
# downloads a glibc build of Node (node-linux-<arch>) and puts it first on the PATH of every npm
# script. On Alpine (musl) that binary cannot run, so `npm run build` would fail there.

FROM node:24-bookworm-slim AS base
WORKDIR /app

# --- build: all dependencies (dev included), then tsc -> dist/ ---------------------------------
FROM base AS build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- prod-deps: production dependencies only, in a stage of their own so that no dev dependency
# (typescript, jest, the `node` binary package, ...) can reach the runtime image ------------------
FROM base AS prod-deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime -------------------------------------------------------------------------------------
FROM base AS runtime
# The state directory is the settings' default (`.fleet-state` under the working directory), spelled
# out: a .env copied from .env.example (LOCAL_STATE_DIR=.fleet-state) then resolves to the same place.
ENV NODE_ENV=production \
    LOCAL_STATE_DIR=/app/.fleet-state

# The application files stay owned by root: the `node` user can read them, not change them.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The local platform starts this by default (resolved from dist/platform/local/ as ../../../).
COPY sample-game-server ./sample-game-server
# The operator's page (/dashboard), served as is.
COPY web ./web

# The one writable place. Owned before VOLUME is declared: a new named volume is initialised from
# the image's content, ownership included; changes made after VOLUME would be discarded.
RUN mkdir -p /app/.fleet-state && chown node:node /app/.fleet-state
VOLUME ["/app/.fleet-state"]

USER node
EXPOSE 3000

# Liveness only (/health, not /health/ready): a platform that is briefly unreachable must not mark
# the container unhealthy. Node's own fetch, as slim images have no curl; PORT follows the setting.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# The same command as `npm start`, flags included (a test keeps them equal). Both flags keep the
# short-lived garbage of probes young (docs/performance.md): V8 sizes the young generation from the
# machine's memory, and pretenuring sends node:http's per-request objects straight to the old
# generation, which grows four-fold before it is collected (memory figures: docs/performance.md).
CMD ["node", "--max-semi-space-size=8", "--no-allocation-site-pretenuring", "dist/main.js"]
