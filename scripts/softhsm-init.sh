#!/usr/bin/env bash
# Creates a SoftHSM2 token for local development of the PKCS#11 key store
# (signer_backend = "hsm"). Never use SoftHSM2 or these defaults in production.
#
#   scripts/softhsm-init.sh [DIR]        # default DIR: ~/.local/share/carnet/softhsm
#
# Environment: CARNET_HSM_TOKEN_LABEL (default carnet-dev), CARNET_HSM_PIN and
# CARNET_HSM_SO_PIN (required unless CARNET_ENVIRONMENT=local, then dev defaults).
# Prints the SOFTHSM2_CONF line to export. Idempotent: an existing token is kept.
set -euo pipefail

if ! command -v softhsm2-util >/dev/null 2>&1; then
  echo "softhsm2-util not found; install it with: apt-get install softhsm2 (or bash scripts/system-deps.sh)" >&2
  exit 1
fi

dir="$(realpath -m "${1:-${XDG_DATA_HOME:-$HOME/.local/share}/carnet/softhsm}")"
label="${CARNET_HSM_TOKEN_LABEL:-carnet-dev}"
if [ "${CARNET_ENVIRONMENT:-}" = "local" ]; then
  pin="${CARNET_HSM_PIN:-123456}"
  so_pin="${CARNET_HSM_SO_PIN:-12345678}"
else
  pin="${CARNET_HSM_PIN:?set CARNET_HSM_PIN (or CARNET_ENVIRONMENT=local for dev defaults)}"
  so_pin="${CARNET_HSM_SO_PIN:?set CARNET_HSM_SO_PIN}"
fi

mkdir -p "$dir/tokens"
chmod 700 "$dir" "$dir/tokens"
conf="$dir/softhsm2.conf"
cat >"$conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
CONF
export SOFTHSM2_CONF="$conf"

if softhsm2-util --show-slots 2>/dev/null | grep -Eq "Label:[[:space:]]+$label[[:space:]]*$"; then
  echo "Token '$label' already exists in $dir/tokens" >&2
else
  softhsm2-util --init-token --free --label "$label" --pin "$pin" --so-pin "$so_pin" >/dev/null
  echo "Created token '$label' in $dir/tokens" >&2
fi
echo "export SOFTHSM2_CONF=$conf"
