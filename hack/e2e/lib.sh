# Shared helpers for e2e suites; source it.

# need_debian installs the named Debian packages if their commands are missing.
# Usage: need_debian COMMAND PACKAGE [COMMAND PACKAGE ...]
need_debian() {
  local missing=()
  while [ $# -gt 1 ]; do
    command -v "$1" >/dev/null 2>&1 || missing+=("$2")
    shift 2
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "e2e: installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  if [ ! -f /tmp/.headroom-apt-updated ]; then
    $sudo apt-get update -qq && touch /tmp/.headroom-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
