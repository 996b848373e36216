# coderun.local/testbox:dev: busybox (sh, sleep, nc, httpd, wget, cat, ...) for tests; the local
# cluster builds it from Debian's busybox-static (hack/images/build-cluster-images.sh).
#   docker build -f deploy/images/testbox.Dockerfile -t coderun.local/testbox:dev .
FROM debian:bookworm-slim AS busybox
RUN apt-get update && apt-get install -y --no-install-recommends busybox-static \
 && mkdir -p /out/bin /out/tmp /out/etc && cp /bin/busybox /out/bin/busybox \
 && for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "/out/bin/$a"; done \
 && chmod 1777 /out/tmp && echo 'nobody:x:65534:65534:nobody:/tmp:/bin/sh' > /out/etc/passwd

FROM scratch
COPY --from=busybox /out/ /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp LANG=C.UTF-8
CMD ["/bin/sh"]
