"""Log reading: the streaming scan, the needles prefilter and the explain use case."""
