#!/bin/sh
# Stand-in for the official haproxy image's entrypoint (docker-library/haproxy): options alone mean
# "haproxy with these options"; haproxy itself runs in master-worker mode (-W, reload on SIGUSR2) in
# the foreground (-db).
set -e

case "$1" in -*) set -- haproxy "$@" ;; esac

if [ "$1" = haproxy ]; then
	shift
	set -- haproxy -W -db "$@"
fi

exec "$@"
