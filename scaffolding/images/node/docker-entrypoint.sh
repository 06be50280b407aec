#!/bin/sh
set -e
# Same contract as the public node image: `IMAGE -e 'code'` or `IMAGE dist/main.js` runs node;
# an executable command runs as is.
if [ "${1#-}" != "$1" ] || [ -z "$(command -v "$1" || true)" ] || { [ -f "$1" ] && ! [ -x "$1" ]; }; then
  set -- node "$@"
fi
exec "$@"
