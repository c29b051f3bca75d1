# syntax=docker/dockerfile:1
# Multi-stage: build the single compiled binary, ship it in a slim image as a
# non-root user. handlers/ and config/ are mount points; no Docker engine runs on
# the development machine, so this file is kept correct by reading (see README).

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json bunfig.toml ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin tasker
WORKDIR /app
COPY --from=build /src/dist/tasker /usr/local/bin/tasker
COPY --chown=tasker:tasker config ./config
COPY --chown=tasker:tasker handlers ./handlers
USER tasker
ENV TASKER_ENV=production \
    TASKER_CONFIG_ROOT=/app/config
VOLUME ["/app/handlers", "/app/config"]
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/tasker"]
CMD ["--role", "combined", "--handlers", "/app/handlers"]
