# The engine's own image (worker, projector, HTTP services). Used by docker-compose.yml.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# better-sqlite3 may compile when no prebuilt binary is reachable.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && npm ci --no-audit --no-fund && apt-get purge -y make g++ && rm -rf /var/lib/apt/lists/*
COPY . .
# Prebuilt workflow bundle: the worker boots without webpack.
RUN npx tsx scripts/build-workflows.ts
ENV NODE_ENV=production
ENTRYPOINT ["node", "scripts/grants.mjs"]
CMD ["start"]
