"""What the server (`qode`) and the kiosk (`qode_kiosk`) share: the contract's patterns, the
WebSocket transport and the HTTP client. It imports neither of them (docs/architecture.md)."""
