# Castellan: build with the dev toolchain, run with production dependencies only.
# The image serves `castellan start`; configuration comes from the environment (see README.md).
# WORKERS=auto runs one worker per core the container may use (its CPU affinity); with a CPU quota
# instead (docker run --cpus=2), set WORKERS to that number. The primary is PID 1 and drains every
# worker on the SIGTERM of `docker stop`.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# --ignore-scripts skips the root `prepare` build (run explicitly below); the two native modules
# still need their install step (prebuilt binaries, or node-gyp with this image's toolchain).
RUN npm ci --ignore-scripts && npm rebuild argon2 better-sqlite3 && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY seed ./seed
COPY spec ./spec
COPY conformance/seed.json conformance/tls-proxy.mjs ./conformance/
# The example resource server (jose is a production dependency), for the conformance profile.
COPY examples/resource-server ./examples/resource-server
# data/ holds the master key (MASTER_KEY_FILE default), SQLite files and dev certificates.
RUN mkdir -p /app/data/tls && chown -R node:node /app/data
USER node
# PORT defaults to 3000 (the conformance profile of docker-compose.yml sets 3443 itself).
EXPOSE 3000
CMD ["node", "dist/cli/main.js", "start"]
