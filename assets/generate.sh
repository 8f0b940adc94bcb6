#!/bin/sh
# Regenerates the PNG icons from the SVG sources (needs rsvg-convert: apt-get install librsvg2-bin).
set -eu
cd "$(dirname "$0")"
mkdir -p icons
for s in 16 32 64 128 256 512; do rsvg-convert -w "$s" -h "$s" icon.svg -o "icons/${s}x${s}.png"; done
cp icons/512x512.png icon.png
rsvg-convert -w 32 -h 32 icon.svg -o tray.png                  # Linux/Windows tray (colour)
rsvg-convert -w 16 -h 16 tray.svg -o trayTemplate.png          # macOS menu bar (template)
rsvg-convert -w 32 -h 32 tray.svg -o trayTemplate@2x.png
