# coderun.local/node:dev (JavaScript: Debian's Node.js 18) for Docker users; the local cluster builds the same image without a
# daemon (hack/images/build-cluster-images.sh). Runs as any non-root uid on a read-only root
# filesystem: coderun's pods mount /tmp and the work directory as tmpfs.
#   docker build -f deploy/images/node.Dockerfile -t coderun.local/node:dev .
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs \
 && rm -rf /var/lib/apt/lists/*
ENV HOME=/tmp LANG=C.UTF-8
WORKDIR /
CMD ["node", "--version"]
