# The stagescope image: a static binary on an empty base, run as a non-root
# user. Build it with BuildKit, buildah or podman:
#
#   docker build -t stagescope .
#   docker run --rm -v "$PWD:/work" -w /work stagescope inspect -o text app.tar
#
# GO_IMAGE is the builder: any image with Go 1.26 at /usr/local/go/bin (or on
# PATH) and a POSIX shell. .ci/run builds this file with a builder made from
# the machine's own Go, since the CI machine reaches no image registry.
ARG GO_IMAGE=docker.io/library/golang:1.26-bookworm

FROM ${GO_IMAGE} AS build
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-trimpath
WORKDIR /src
# Modules first: this layer stays cached until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/root/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=
ARG DATE=
RUN --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${DATE}" \
        -o /out/stagescope ./cmd/stagescope && \
    /out/stagescope version && \
    mkdir -p /out/etc /out/home && \
    echo 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' > /out/etc/passwd && \
    echo 'nonroot:x:65532:' > /out/etc/group

FROM scratch
# CA certificates for registries; a passwd entry for the non-root user.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/etc/passwd /out/etc/group /etc/
COPY --from=build --chown=65532:65532 /out/home /home/nonroot
COPY --from=build /out/stagescope /usr/local/bin/stagescope
ENV HOME=/home/nonroot
USER 65532:65532
WORKDIR /home/nonroot
ENTRYPOINT ["/usr/local/bin/stagescope"]
CMD ["--help"]
