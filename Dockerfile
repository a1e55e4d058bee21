# Multi-stage build of a static, non-root weka-operator image.
#   docker build -t REGISTRY/weka-operator:TAG .
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends musl-tools && rm -rf /var/lib/apt/lists/* \
 && rustup target add x86_64-unknown-linux-musl
WORKDIR /src
COPY . .
RUN cargo build --release --locked --target x86_64-unknown-linux-musl -p weka-operator \
 && cp target/x86_64-unknown-linux-musl/release/weka-operator /weka-operator

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /weka-operator /weka-operator
USER 65532:65532
ENTRYPOINT ["/weka-operator"]
CMD ["run"]
