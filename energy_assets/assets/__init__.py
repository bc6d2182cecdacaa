"""The lake's software-defined assets, one module per layer."""
