#!/usr/bin/env bash
# The Debian packages that keras_margin's tests and demo read, installed or named.
#
# `make test`, `make demo` and `.ci/run` call this before they use the virtualenv. It
# asks dpkg whether every package is installed (a fraction of a second) and, if one is
# missing, installs the missing ones when it runs as root on a machine with apt-get;
# otherwise it exits 1 with one message naming the command to run.
#
# The data, all offline:
#   dataset-fashion-mnist                       the `fashion-mnist` dataset
#   fonts-dejavu-core fonts-dejavu-extra        the 111 typefaces the `glyphs` dataset
#   fonts-urw-base35 fonts-freefont-ttf         renders (keras_margin/data/sources/
#   fonts-liberation2 fonts-texgyre             glyph_fonts.py, FONT_PACKAGES)
#   fortunes wordnet-base                       the `fortunes` text dataset; WordNet for
#                                               the EDA synonym layers
#   fluidsynth fluid-soundfont-gm espeak-ng     render the two audio datasets
#   r-cran-modeldata                            the `food-reviews` text dataset. It
#                                               depends on R, of which only its data
#                                               files are read, so it is unpacked
#                                               (apt-get download + dpkg -x), not installed.
# Recommended packages are not installed: none of them holds data the tests read.
#
# Environment:
#   KERAS_MARGIN_SKIP_SYSTEM_CHECK=1   skip the check (a machine without dpkg that
#                                      provides the data some other way)
#   KERAS_MARGIN_SYSTEM_PACKAGES       replaces the list of packages to install
#   KERAS_MARGIN_UNPACKED_PACKAGES     replaces the list of PACKAGE:FILE pairs to unpack,
#                                      FILE being the file that shows it is unpacked
# (the last two exist for tests/test_setup_system.py).
set -euo pipefail

packages=${KERAS_MARGIN_SYSTEM_PACKAGES-"dataset-fashion-mnist \
fonts-dejavu-core fonts-dejavu-extra fonts-urw-base35 fonts-freefont-ttf fonts-liberation2 fonts-texgyre \
fortunes wordnet-base fluidsynth fluid-soundfont-gm espeak-ng"}
unpacked=${KERAS_MARGIN_UNPACKED_PACKAGES-"r-cran-modeldata:/usr/lib/R/site-library/modeldata/data/Rdata.rdb"}
script="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"

if [ "${KERAS_MARGIN_SKIP_SYSTEM_CHECK:-0}" = 1 ]; then
  exit 0
fi

say() { echo "setup_system.sh: $*" >&2; }

names="$packages"
for pair in $unpacked; do names+=" ${pair%%:*}"; done
if ! command -v dpkg-query >/dev/null 2>&1; then
  say "this machine has no dpkg; the tests and the demo read the files of the Debian" \
    "packages $names. Provide them, or set KERAS_MARGIN_SKIP_SYSTEM_CHECK=1 to go on" \
    "without them (the tests that read them will fail)"
  exit 1
fi

# One dpkg-query for all packages; it prints nothing for an unknown one (and fails).
missing=()
if [ -n "$packages" ]; then
  # shellcheck disable=SC2086
  installed=" $( (dpkg-query -W -f='${db:Status-Status} ${Package}\n' $packages 2>/dev/null || true) \
    | awk '$1 == "installed" { printf "%s ", $2 }')"
  for package in $packages; do
    [[ "$installed" == *" $package "* ]] || missing+=("$package")
  done
fi
missing_unpacked=()
for pair in $unpacked; do
  [ -e "${pair#*:}" ] || missing_unpacked+=("${pair%%:*}")
done

absent=("${missing[@]}" "${missing_unpacked[@]}")
if [ ${#absent[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  say "missing Debian packages: ${absent[*]}; this machine has no" \
    "apt-get to install them (or set KERAS_MARGIN_SKIP_SYSTEM_CHECK=1 to go on without them)"
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  steps=("apt-get update")
  [ ${#missing[@]} -eq 0 ] || steps+=("apt-get install -y --no-install-recommends ${missing[*]}")
  for package in "${missing_unpacked[@]}"; do
    steps+=("apt-get download $package && dpkg -x ${package}_*.deb /")
  done
  plan=$(printf '; %s' "${steps[@]}")
  say "missing Debian packages: ${absent[*]}; run: sudo $script" \
    "(as root it runs ${plan#; })"
  exit 1
fi

say "installing ${absent[*]}"
apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
for package in "${missing_unpacked[@]}"; do
  folder=$(mktemp -d)
  status=0
  (cd "$folder" && apt-get download -qq "$package" && dpkg -x "$package"_*.deb /) || status=$?
  rm -rf "$folder"
  [ "$status" = 0 ] || { say "could not unpack $package"; exit 1; }
done
