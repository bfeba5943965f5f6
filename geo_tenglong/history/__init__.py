"""The campaign over time: the run history store, what changed between runs, the history as an input."""
