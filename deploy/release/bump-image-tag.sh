#!/usr/bin/env bash
# Points the chart at a new image: values.yaml image.tag and Chart.yaml appVersion become VERSION
# (the model version = the image tag). Edits the two lines in place, so comments and layout stay.
# Usage: deploy/release/bump-image-tag.sh VERSION [CHART_DIR]
set -euo pipefail
version="${1:?usage: bump-image-tag.sh VERSION [CHART_DIR]}"
chart="${2:-charts/shelfwatch}"
if ! [[ "$version" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]]; then
  echo "not a valid image tag: $version" >&2
  exit 1
fi
# `tag:` inside the top-level `image:` block only.
sed -i -E '/^image:/,/^[^[:space:]#]/ s/^(  tag: ).*/\1"'"$version"'"/' "$chart/values.yaml"
sed -i -E 's/^appVersion: .*/appVersion: "'"$version"'"/' "$chart/Chart.yaml"
grep -q "^  tag: \"$version\"" "$chart/values.yaml" || { echo "image.tag not found in $chart/values.yaml" >&2; exit 1; }
grep -q "^appVersion: \"$version\"" "$chart/Chart.yaml" || { echo "appVersion not found in $chart/Chart.yaml" >&2; exit 1; }
echo "chart $chart now deploys image tag $version"
