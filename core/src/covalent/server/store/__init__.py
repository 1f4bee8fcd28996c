"""The result manager's storage: blobs (inline or on disk), batched writes, reads."""
