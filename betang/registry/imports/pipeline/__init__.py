"""An import's moving parts around the matching: the forked reader, the chunk writer, and the run's tuning."""
