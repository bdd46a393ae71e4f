"""The offline demo web: fictional government sites served on loopback addresses."""
