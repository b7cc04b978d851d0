# kafka-backup container image (docs/operations.md, "Docker and Kubernetes").
#   docker build -t kafka-backup:0.1.0 .
#   docker run --rm -v $PWD/backup.yaml:/etc/kafka-backup/backup.yaml:ro kafka-backup:0.1.0 \
#     --config /etc/kafka-backup/backup.yaml backup --once
#
# Build stage: Debian 12 with the build dependencies (scripts/install-deps.sh --build-only, which
# also builds the pinned librdkafka from Debian's source package), the Release build and its Debian
# package. Runtime stage: debian:bookworm-slim with that package installed, so the image holds
# exactly the runtime libraries the package depends on (dpkg-shlibdeps), and nothing else.
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/ scripts/
RUN scripts/install-deps.sh --build-only
COPY . .
RUN cmake -S . -B build/image -G Ninja -DCMAKE_BUILD_TYPE=Release -DKB_BUILD_TESTS=OFF \
      -DKB_BUILD_BENCH=OFF \
 && cmake --build build/image \
 && cd build/image && cpack -G DEB

FROM debian:bookworm-slim
COPY --from=build /src/build/image/package/kafka-backup_*.deb /tmp/
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates /tmp/kafka-backup_*.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/kafka-backup_*.deb \
 && groupadd --system --gid 10001 kafka-backup \
 && useradd --system --uid 10001 --gid kafka-backup --home-dir /var/lib/kafka-backup \
      --create-home --shell /usr/sbin/nologin kafka-backup
# A numeric user, so that Kubernetes' runAsNonRoot can check it.
USER 10001:10001
WORKDIR /var/lib/kafka-backup
EXPOSE 9464
ENTRYPOINT ["kafka-backup"]
CMD ["--help"]
