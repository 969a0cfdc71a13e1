"""The demo dataset (``replay/``) and builders of replay-layout data for tests, demos and benchmarks."""
