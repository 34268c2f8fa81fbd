# token-gate runs as a Docker container action, and the runner builds this
# file at every job on a fresh machine with no layer cache
# (docs/facts.md, "How the runner starts the container"), so every second here
# is paid on every run.

# The Go image is a build argument so that a machine without a registry can
# build from a local image (see internal/container).
ARG GO_IMAGE=golang:1.26-alpine

FROM ${GO_IMAGE} AS build
WORKDIR /src
# Modules first, in their own layer: an edit to the code keeps them cached
# where a cache exists.
COPY go.mod go.sum ./
RUN go mod download
COPY main.go ./
COPY internal/ internal/
# The release passes its tag and commit (internal/version); the context has
# no .git for Go to read the commit from.
ARG VERSION=""
ARG COMMIT=""
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags="-s -w -X github.com/token-gate/token-gate/internal/version.Version=${VERSION} -X github.com/token-gate/token-gate/internal/version.Commit=${COMMIT}" \
      -o /token-gate .

# scratch: a static binary and the CA bundle for HTTPS, nothing else. No
# USER, since a non-root user cannot write the runner's GITHUB_OUTPUT file,
# and no WORKDIR, since the runner sets --workdir itself (docs/facts.md,
# "How the runner starts the container").
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /token-gate /token-gate
ENTRYPOINT ["/token-gate"]
