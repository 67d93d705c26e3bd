module ops-baseline/nats-varz-exporter

go 1.21
