# coderun.local/runner:dev: the sandbox runner alone, at /runner. coderun's init container copies
# it into each sandbox pod. The local cluster builds the same image without a daemon
# (hack/images/build-cluster-images.sh, from `bash runner/build.sh`).
#   docker build -f deploy/images/runner.Dockerfile -t coderun.local/runner:dev .
FROM golang:1.26-bookworm AS build
WORKDIR /src/runner
COPY runner/ ./
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /runner .

FROM scratch
COPY --from=build /runner /runner
ENTRYPOINT ["/runner"]
