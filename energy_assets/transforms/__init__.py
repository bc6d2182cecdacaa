"""Silver and gold table builders: cleaning, chunked layers, the scorecard, carbon."""
