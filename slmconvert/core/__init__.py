"""The contract every stage shares: the canonical record (`records`), stage directories
(`stagedir`), settings (`config`), errors and exit codes (`errors`), progress reporting
(`progress`), and the small helpers several stages use (`dedup`, `forking`)."""
