// `loupe-bench`: says where the benchmarks are. Timing a model is `loupe bench`; the
// comparisons with ONNX Runtime and the throughput runs are the scripts in Bench/scripts.
let usage = """
    loupe-bench: the benchmarks of Loupe.
      loupe bench MODEL [--threads N] [--runs R] [--warmup W] [--json]   median, p90, p99, min, max ms per inference
      python3 Bench/scripts/bench_vs_ort.py MODEL --threads 1,2             Loupe against ONNX Runtime, same run
      python3 Bench/scripts/cluster_throughput.py                          photos per second per core
    Bench/README.md says how to run them; Bench/RESULTS.md holds the results.
    """
print(usage)
