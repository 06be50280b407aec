#!/usr/bin/env bash
# http-probe PATH [PORT]: exit 0 when http://127.0.0.1:PORT/PATH answers 2xx within 2 s.
# PORT defaults to $PORT, else to the service's default port the image records in /etc/service-port.
# Plain bash (/dev/tcp), for images that have no curl or wget.
set -euo pipefail
path="${1:?usage: http-probe PATH [PORT]}"
port="${2:-${PORT:-$(</etc/service-port)}}"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3
IFS=' ' read -r -t 2 _ status _ <&3
[[ "$status" == 2?? ]]
