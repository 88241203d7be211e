"""Reference geography: province → regency → district → village, by Kemendagri code."""
