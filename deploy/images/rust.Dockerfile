# coderun.local/rust:dev (Rust: Debian's rustc-web, with gcc as its linker) for Docker users; the local cluster builds the same image without a
# daemon (hack/images/build-cluster-images.sh). Runs as any non-root uid on a read-only root
# filesystem: coderun's pods mount /tmp and the work directory as tmpfs.
#   docker build -f deploy/images/rust.Dockerfile -t coderun.local/rust:dev .
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends rustc-web \
 && rm -rf /var/lib/apt/lists/*
ENV HOME=/tmp LANG=C.UTF-8
WORKDIR /
CMD ["rustc", "--version"]
