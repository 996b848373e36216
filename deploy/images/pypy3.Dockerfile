# coderun.local/pypy3:dev (PyPy 3.9: Debian's pypy3) for Docker users; the local cluster builds the same image without a
# daemon (hack/images/build-cluster-images.sh). Runs as any non-root uid on a read-only root
# filesystem: coderun's pods mount /tmp and the work directory as tmpfs.
#   docker build -f deploy/images/pypy3.Dockerfile -t coderun.local/pypy3:dev .
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends pypy3 \
 && rm -rf /var/lib/apt/lists/*
ENV HOME=/tmp LANG=C.UTF-8
WORKDIR /
CMD ["pypy3"]
