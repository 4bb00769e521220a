#!/usr/bin/env bash
# `npm test`: the tests use real browsers and the real gpg, from Debian's packages.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(chromium firefox-esr gnupg tor bzip2 sq python3-aiosmtpd
  # Safe copies (newsroom/safe, docs/safe-copies.md): the sandbox and the tools it runs.
  bubblewrap poppler-utils qpdf libreoffice-core-nogui libreoffice-writer-nogui libreoffice-calc-nogui
  libreoffice-impress-nogui mat2 libimage-exiftool-perl tesseract-ocr tesseract-ocr-eng imagemagick unzip)
missing=()
for bin in /usr/bin/chromium /usr/bin/firefox-esr /usr/bin/gpg /usr/bin/tor /usr/bin/bzip2 /usr/bin/sq \
  /usr/bin/bwrap /usr/bin/pdftoppm /usr/bin/qpdf /usr/bin/soffice /usr/bin/mat2 /usr/bin/exiftool /usr/bin/tesseract \
  /usr/bin/convert-im6.q16 /usr/bin/unzip; do
  [ -x "$bin" ] || missing+=("$bin")
done
# LibreOffice's writer, calc and impress parts, and tesseract's English model.
for lib in /usr/lib/libreoffice/program/lib{sw,sc,sd}lo.so /usr/share/tesseract-ocr/5/tessdata/eng.traineddata; do
  [ -f "$lib" ] || missing+=("$lib")
done
# The SMTP server the notice tests send to (tests/helpers/smtp-sink.py), run by Debian's python3.
[ -f /usr/lib/python3/dist-packages/aiosmtpd/smtp.py ] || missing+=(python3-aiosmtpd)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && [ -f /etc/debian_version ]; then
    echo "Installing Debian packages for the tests: ${PACKAGES[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${PACKAGES[@]}" >/dev/null
  else
    echo "The tests need: ${missing[*]}" >&2
    echo "Install them with:  sudo apt-get install -y ${PACKAGES[*]}" >&2
    exit 1
  fi
fi

exec npx vitest run "$@"
