module olm-gather.local/bench/latencyproxy

go 1.26
