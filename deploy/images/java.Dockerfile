# coderun.local/java:dev (Java 17: Debian's OpenJDK) for Docker users; the local cluster builds the same image without a
# daemon (hack/images/build-cluster-images.sh). Runs as any non-root uid on a read-only root
# filesystem: coderun's pods mount /tmp and the work directory as tmpfs.
#   docker build -f deploy/images/java.Dockerfile -t coderun.local/java:dev .
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jdk-headless \
 && rm -rf /var/lib/apt/lists/*
ENV HOME=/tmp LANG=C.UTF-8
WORKDIR /
CMD ["java", "-version"]
