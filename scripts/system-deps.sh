#!/usr/bin/env bash
# Installs the system packages that Carnet's test tiers use, from Debian's archive:
# PostgreSQL (storage tier), SoftHSM2 (HSM tier), Chromium (browser tier).
# As root it installs what is missing; otherwise it prints the one command to run,
# and the tiers that need a missing package skip with a visible message
# (unless CARNET_REQUIRE_ALL=1, when they fail).
set -uo pipefail
want=(postgresql softhsm2 opensc)
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" = "0" ]; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}") >/tmp/carnet-apt.log 2>&1 \
    || { echo "apt-get failed; see /tmp/carnet-apt.log"; tail -20 /tmp/carnet-apt.log; exit 1; }
else
  echo "SKIPPING tiers that need: ${missing[*]}. Install them with:  sudo sh -c '$cmd'"
fi
