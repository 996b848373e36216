# coderun.local/gcc:dev (C and C++) for Docker users; the local cluster builds the same image
# without a daemon (hack/images/build-cluster-images.sh). Compiles into /tmp (a tmpfs in
# coderun's pods), so it runs as any non-root uid on a read-only root filesystem.
#   docker build -f deploy/images/gcc.Dockerfile -t coderun.local/gcc:dev .
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc g++ libc6-dev \
 && rm -rf /var/lib/apt/lists/*
ENV HOME=/tmp LANG=C.UTF-8
WORKDIR /
CMD ["gcc", "--version"]
