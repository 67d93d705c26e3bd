// One version set for the monitoring and logging servers. Prod pulls the upstream images pinned
// by digest (the multi-platform index digest, as published for that tag); dev builds the same
// versions from the Go module proxy (toolchain/observability.sh, versions in
// toolchain/observability/versions.env, which a test keeps equal to these) into images FROM the
// local debian:bookworm-slim (images/go-binary). Refreshing: pick the release, read the digest
// with `docker buildx imagetools inspect <image>:<tag>` (or `crane digest`) on a machine that
// reaches the registry, change both files, run `npm run golden` and the real tests.
export const VERSIONS = {
  prometheus: "3.15.0",
  alertmanager: "0.34.1",
  nodeExporter: "1.12.1",
  victorialogs: "1.52.2",
  /** The project's OpenTelemetry Collector distribution (toolchain/otelcol), at its contrib release. */
  otelcol: "0.165.1",
} as const;

export const UPSTREAM_IMAGES = {
  prometheus: `quay.io/prometheus/prometheus:v${VERSIONS.prometheus}@sha256:efd719c99d83b060d9daefdcf00360461adf279f45ef5391f8d111892118753e`,
  alertmanager: `quay.io/prometheus/alertmanager:v${VERSIONS.alertmanager}@sha256:e9733bafb1bdef9b00e25a21f8f99dc26a22224bf16641ad754d1649f4c3357a`,
  nodeExporter: `docker.io/prom/node-exporter:v${VERSIONS.nodeExporter}@sha256:1b4e4438faca4dd7e001dd445d161a4a2091b0fededa84093b3a8dfeae1f1be0`,
  // By its release tag until the digest is read where the registry answers (see above).
  victorialogs: `docker.io/victoriametrics/victoria-logs:v${VERSIONS.victorialogs}`,
  // Not buildable here (the Go module proxy refuses github.com/grafana/grafana): prod only.
  grafana: "docker.io/grafana/grafana:13.2.3@sha256:b28bae15e219c998fb0e0424ed724930cc61b1f61fb404d47c862f9a23f9e572",
} as const;

/**
 * A dev image made from binaries built from the Go module proxy: the build context is the
 * staging directory that toolchain/observability.sh fills (images/go-binary/stage/<name>-<version>,
 * not in git), the Dockerfile is shared.
 */
export function goBinaryImage(name: string, version: string, binary: string, dataDir?: string, dataUid?: number) {
  return {
    image: `ops-baseline/${name}:${version}-bookworm`,
    build: {
      context: `images/go-binary/stage/${name}-${version}`,
      dockerfile: "images/go-binary/Dockerfile",
      args: {
        BINARY: binary,
        ...(dataDir === undefined ? {} : { DATA_DIR: dataDir }),
        ...(dataUid === undefined ? {} : { DATA_UID: String(dataUid) }),
      },
    },
  };
}
