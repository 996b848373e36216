# coderun.local/python3:dev for Docker users (the local cluster builds the same image without
# a daemon: hack/images/build-cluster-images.sh). Runs as any non-root uid on a read-only root
# filesystem: nothing is written outside /tmp, which coderun mounts as a tmpfs.
#   docker build -f deploy/images/python3.Dockerfile -t coderun.local/python3:dev .
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 \
 && rm -rf /var/lib/apt/lists/*
ENV HOME=/tmp LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /
CMD ["python3"]
