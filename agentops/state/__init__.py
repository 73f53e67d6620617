"""State store: keyed JSON documents and JSONL logs under `state/` (see store.Store)."""
