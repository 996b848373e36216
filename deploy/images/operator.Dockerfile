# coderun.local/operator:dev, the operator the Helm chart runs (deploy/helm/coderun), for Docker
# users; the local cluster builds the same files without a daemon
# (hack/images/build-operator-image.sh). Both assemble the root filesystem with
# hack/images/operator-rootfs.sh: the Node 22 the repository pins (the `node` package), the
# libraries it links, the compiled dist/ and the production packages. No shell; runs as uid 65532
# on a read-only root filesystem.
#   docker build -f deploy/images/operator.Dockerfile -t coderun.local/operator:dev .
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# `npm install`, not `npm ci`: see .ci/run. It installs the pinned Node as node_modules/.bin/node.
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src/ src/
COPY hack/cluster/lib.sh hack/cluster/
COPY hack/images/operator-rootfs.sh hack/images/
RUN bash hack/images/operator-rootfs.sh /rootfs

FROM scratch
COPY --from=build /rootfs/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin NODE_ENV=production
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/node", "/app/dist/main.js"]
