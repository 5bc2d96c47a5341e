# Charter: multi-stage build, slim non-root runtime.
#   docker build -t charter .
#   docker run -p 8080:8080 -v charter-data:/data \
#     -e CHARTER_ISSUER=https://id.example.com charter
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, so source changes do not rebuild the world.
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
COPY migrations ./migrations
COPY tests ./tests
COPY config ./config
RUN cargo build --release --locked -p charter-server --bin charter \
    && strip target/release/charter

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin charter \
    && mkdir -p /data && chown charter:charter /data
COPY --from=build /src/target/release/charter /usr/local/bin/charter
USER charter
WORKDIR /data
ENV CHARTER_LISTEN=0.0.0.0:8080 \
    CHARTER_DATA_DIR=/data \
    CHARTER_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["charter", "healthcheck"]
ENTRYPOINT ["charter"]
CMD ["serve"]
