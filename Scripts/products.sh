# shellcheck shell=bash
# Built tools for the unprivileged user. As root, the tests and the demo run the restore tools (and the
# simulators they call) as `nobody`. A checkout in a private directory (a home directory such as /root, mode 0700)
# hides .build from that user; then the executables and their resource bundles are linked (hard links; copies
# across file systems) into a directory of their own under /tmp, which the caller removes when done.

# products_for_unprivileged BIN_DIR: prints the directory the unprivileged user can run the tools from.
products_for_unprivileged() {
  local bin=$1
  if [ "$(id -u)" != 0 ] || runuser -u nobody -- test -x "$bin/backup" 2>/dev/null; then
    printf '%s\n' "$bin"
    return
  fi
  local stage
  stage=$(mktemp -d /tmp/oib-products.XXXXXX)
  chmod 755 "$stage"
  local item
  for item in "$bin"/*; do
    if [ -f "$item" ] && [ -x "$item" ]; then
      ln "$item" "$stage/" 2>/dev/null || cp -p "$item" "$stage/"
    elif [ -d "$item" ] && [[ $item == *.resources ]]; then
      cp -al "$item" "$stage/" 2>/dev/null || cp -a "$item" "$stage/"
    fi
  done
  chmod -R a+rX "$stage"
  printf '%s\n' "$stage"
}

# products_release DIR: removes a directory products_for_unprivileged made (never the build directory itself).
products_release() {
  case $1 in
    /tmp/oib-products.*) rm -rf -- "$1" ;;
  esac
}
