# syntax=docker/dockerfile:1
# LMArena Bridge: both servers (default) or one per container (LMB_APPS=proxy-api).
#   docker build -t lmarena-bridge .
#   docker run -p 5102:5102 -p 5105:5105 -v lmb-data:/data lmarena-bridge
ARG NODE_VERSION=20

# 1. Build: every dependency, then the bundles (proxy-api, dashboard-api, admin-cli) and the SPA.
FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN NX_DAEMON=false NX_NO_CLOUD=true npx nx run-many -t build -p proxy-api dashboard-api dashboard-web admin-cli --outputStyle=static

# 2. Production dependencies only (native modules bcrypt and better-sqlite3 compile here,
#    where the toolchain is; the runtime image has none).
FROM node:${NODE_VERSION}-bookworm AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# 3. Runtime: the built output and the production node_modules, as a non-root user.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    LMB_APPS="proxy-api dashboard-api" \
    PROXY_HOST=0.0.0.0 \
    DASHBOARD_HOST=0.0.0.0 \
    DATABASE_URL=sqlite:/data/dashboard.db
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /src/dist/apps ./dist/apps
COPY package.json config.jsonc models.json ./
COPY tools/scripts/start.mjs tools/scripts/admin.mjs tools/scripts/healthcheck.mjs ./tools/scripts/
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 5102 5105
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "tools/scripts/healthcheck.mjs"]
# start.mjs passes SIGTERM (docker stop) to the servers, which finish their requests and flush usage.
CMD ["sh", "-c", "exec node tools/scripts/start.mjs $LMB_APPS"]
