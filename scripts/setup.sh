#!/usr/bin/env bash
# setup.sh - makes sure every Debian package in scripts/packages.txt is
# installed, installing the missing ones with apt-get (as root, or through
# sudo). Says what it installs. Exit 0 when all are present, 1 if they could
# not be installed (with the command to run by hand).
set -u
here=$(cd "$(dirname "$0")" && pwd)
want=$(sed 's/#.*//' "$here/packages.txt" | tr -s ' \t' '\n' | grep -v '^$')
missing=()
for pkg in $want; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing missing Debian packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then
		sudo="sudo"
	else
		echo "setup: not root and no sudo; run: apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get update -qq || ! $sudo apt-get install -y -qq "${missing[@]}"; then
	echo "setup: apt-get failed; run by hand: apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "setup: done"
