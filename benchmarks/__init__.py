"""fcsim's benchmarks: ``python -m benchmarks [--quick] [NAME ...]`` (``make bench``)."""
