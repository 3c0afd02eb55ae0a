"""What the pages need, as tidy frames and small records, asked of the store."""
