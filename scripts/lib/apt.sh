# Sourced by the test and stack scripts: collect the Debian packages that are missing with
# `need_cmd COMMAND PACKAGE` / `need_pkg PACKAGE`, then `install_needed` installs them in one
# apt-get run. Quiet when everything is there.
APT_NEEDED=()

need_pkg() {
  [[ " ${APT_NEEDED[*]} " == *" $1 "* ]] || APT_NEEDED+=("$1")
}

need_cmd() {
  command -v "$1" >/dev/null 2>&1 || need_pkg "$2"
}

install_needed() {
  ((${#APT_NEEDED[@]})) || return 0
  echo "installing Debian packages: ${APT_NEEDED[*]}"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if ! $sudo apt-get update -qq || ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${APT_NEEDED[@]}" >/dev/null; then
    echo "error: apt-get could not install ${APT_NEEDED[*]}; install them by hand and run again" >&2
    return 1
  fi
  APT_NEEDED=()
}

# The newest PostgreSQL server's bin folder (Debian keeps initdb and pg_ctl off PATH), or failure.
pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}
