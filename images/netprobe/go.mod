module ops-baseline/images/netprobe

go 1.24
