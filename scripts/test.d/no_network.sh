#!/usr/bin/env bash
# The binary carries no network client: auditors count every network code
# path as attack surface. Fails if any HTTP/cloud client is in the normal
# dependency tree.
set -euo pipefail
cd "$(dirname "$0")/../.."
failed=0
for crate in reqwest hyper object_store ureq curl isahc attohttpc tokio-rustls rustls; do
  if cargo tree --locked -e normal -i "$crate" >/dev/null 2>&1; then
    echo "FAIL: $crate is in the dependency tree:"; cargo tree --locked -e normal -i "$crate" | head -5
    failed=1
  fi
done
if [ "$failed" = 0 ]; then echo "no_network: 1 passed, 0 failed"; else echo "no_network: 0 passed, 1 failed"; exit 1; fi
