"""Outside data -> validated rows: CNEMC files, OpenAQ, exports. No SQL here (see dashboard.store)."""
