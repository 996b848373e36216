# coderun.local/go:dev (Go 1.19: Debian's golang-go) for Docker users; the local cluster builds the same image without a
# daemon (hack/images/build-cluster-images.sh). Runs as any non-root uid on a read-only root
# filesystem: coderun's pods mount /tmp and the work directory as tmpfs.
#   docker build -f deploy/images/go.Dockerfile -t coderun.local/go:dev .
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends golang-go \
 && rm -rf /var/lib/apt/lists/*
ENV HOME=/tmp LANG=C.UTF-8 CGO_ENABLED=0 GOCACHE=/tmp/go-cache GOPATH=/tmp/go
WORKDIR /
CMD ["go", "version"]
